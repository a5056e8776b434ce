"""Nondeterminism through seams: clock reads, random numbers and ids, replayable.

``now()``, ``random()`` and ``uuid4()`` behave like ``time.time()``,
``random.random()`` and ``uuid.uuid4()``. While recording, each value is kept
on the current step (attribute ``agentreel.values``); while replaying, the
value the recorded step drew at the same position is returned instead, so
control flow that depends on them takes the same branch.

``patch()`` (done for you by ``agentreel.session(..., deterministic=True)``
and ``agentreel.configure(patch_nondeterminism=True)``) routes the standard
library's ``time.time``, ``random.random`` and ``uuid.uuid4`` through the
seams inside such sessions; see ``docs/replay.md`` for what it cannot cover.
"""

from ._patch import is_patched, patch, unpatch
from ._seams import VALUES_ATTRIBUTE, VALUES_EVENT, ValueSource, now, passthrough, random, uuid4

__all__ = [
    "VALUES_ATTRIBUTE",
    "VALUES_EVENT",
    "ValueSource",
    "is_patched",
    "now",
    "passthrough",
    "patch",
    "random",
    "unpatch",
    "uuid4",
]
