"""What runs inside a program started by ``agentreel record`` or ``agentreel replay``.

The command puts :func:`site_dir` first on the child's ``PYTHONPATH``; the
``sitecustomize.py`` there calls :func:`start` before the program's first
line, the way ``opentelemetry-instrument`` does it. :func:`start` reads the
``AGENTREEL_*`` variables the parent set (:class:`ChildPlan`), configures
agentreel, instruments the ``openai`` / ``anthropic`` clients, opens a session
(or installs the replay) and, at exit, writes what happened as JSON to the
file the parent named. See ``docs/record-replay.md``.
"""

from ._child import start
from ._env import (
    ENV_EDIT_FILE,
    ENV_FORK_AT,
    ENV_MANAGED,
    ENV_MODE,
    ENV_NAME,
    ENV_REPLAY,
    ENV_RESULT_FILE,
    ENV_TAGS,
    ChildPlan,
    site_dir,
)

__all__ = [
    "ENV_EDIT_FILE",
    "ENV_FORK_AT",
    "ENV_MANAGED",
    "ENV_MODE",
    "ENV_NAME",
    "ENV_REPLAY",
    "ENV_RESULT_FILE",
    "ENV_TAGS",
    "ChildPlan",
    "site_dir",
    "start",
]
