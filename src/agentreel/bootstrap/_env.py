"""The contract between the ``agentreel`` command and the child it starts: environment variables."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agentreel.errors import ConfigurationError

#: "1" while agentreel is driven from outside the program: a later configure()
#: by the program keeps the recorder the bootstrap made.
ENV_MANAGED = "AGENTREEL_MANAGED"
#: Where the child writes its outcome as JSON, at exit.
ENV_RESULT_FILE = "AGENTREEL_RESULT_FILE"
ENV_NAME = "AGENTREEL_SESSION_NAME"
#: The session's tags, a JSON list of strings.
ENV_TAGS = "AGENTREEL_SESSION_TAGS"
#: The full id of the session to replay; unset when recording.
ENV_REPLAY = "AGENTREEL_REPLAY"
ENV_MODE = "AGENTREEL_REPLAY_MODE"
ENV_FORK_AT = "AGENTREEL_FORK_AT"
#: "live" or "matching": what runs after a fork's step (see agentreel.replay).
ENV_AFTER_FORK = "AGENTREEL_AFTER_FORK"
#: A JSON file holding the fork's edit: {"output": ...} or {"input": ...}.
ENV_EDIT_FILE = "AGENTREEL_EDIT_FILE"

_ALL = (
    ENV_MANAGED,
    ENV_RESULT_FILE,
    ENV_NAME,
    ENV_TAGS,
    ENV_REPLAY,
    ENV_MODE,
    ENV_FORK_AT,
    ENV_AFTER_FORK,
)


def site_dir() -> Path:
    """The directory holding the ``sitecustomize.py`` to put first on the child's PYTHONPATH."""
    return Path(__file__).parent / "_site"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildPlan:
    """What the child is to do: record a session, or replay one."""

    result_file: str
    db: str | None = None
    name: str = "agentreel run"
    tags: tuple[str, ...] = ()
    replay: str | None = None
    mode: str = "strict"
    fork_at: int | None = None
    after_fork: str = "live"
    edit_file: str | None = None

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` (the parent's environment) with this plan and the bootstrap on PYTHONPATH."""
        env = {k: v for k, v in base.items() if k not in (*_ALL, ENV_EDIT_FILE)}
        paths = [str(site_dir()), *filter(None, [base.get("PYTHONPATH")])]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env[ENV_MANAGED] = "1"
        env[ENV_RESULT_FILE] = self.result_file
        env[ENV_NAME] = self.name
        env[ENV_TAGS] = json.dumps(list(self.tags))
        if self.db is not None:
            env["AGENTREEL_DB"] = self.db
        if self.replay is not None:
            env[ENV_REPLAY] = self.replay
            env[ENV_MODE] = self.mode
            if self.fork_at is not None:
                env[ENV_FORK_AT] = str(self.fork_at)
                env[ENV_AFTER_FORK] = self.after_fork
            if self.edit_file is not None:
                env[ENV_EDIT_FILE] = self.edit_file
        return env

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> ChildPlan | None:
        """The plan the parent left in ``env``; None when this process was not started by it."""
        if env.get(ENV_MANAGED) != "1" or not env.get(ENV_RESULT_FILE):
            return None
        try:
            tags = json.loads(env.get(ENV_TAGS) or "[]")
            fork = env.get(ENV_FORK_AT)
            return cls(
                result_file=env[ENV_RESULT_FILE],
                db=env.get("AGENTREEL_DB") or None,
                name=env.get(ENV_NAME) or "agentreel run",
                tags=tuple(str(t) for t in tags),
                replay=env.get(ENV_REPLAY) or None,
                mode=env.get(ENV_MODE) or "strict",
                fork_at=int(fork) if fork else None,
                after_fork=env.get(ENV_AFTER_FORK) or "live",
                edit_file=env.get(ENV_EDIT_FILE) or None,
            )
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"the AGENTREEL_* variables set by `agentreel record/replay` are damaged ({exc}); "
                "start the program through the command again"
            ) from exc
