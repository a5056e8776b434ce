"""The child's side: set agentreel up before the program runs, report at exit.

Nothing here may let the program run unwatched when it was asked to be
replayed: a setup failure ends the process (exit code 2) after writing the
error to the result file, because a ``sitecustomize`` that raises only prints
a warning and Python carries on.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from contextvars import Token
from typing import Any

from agentreel.errors import AgentreelError, ConfigurationError
from agentreel.integrations import instrument
from agentreel.model import JSON
from agentreel.recording import Answer, Recorder, SessionHandle, StepHandle, flush
from agentreel.recording import configure as configure_recording
from agentreel.recording._context import current_session_var
from agentreel.replay import Edit, ReplayDivergence, ReplaySession, replay

from ._env import ChildPlan

#: Exit code of a child whose agentreel setup failed (the parent's "error" code too).
SETUP_FAILED = 2


def start() -> None:
    """Set agentreel up as the parent asked, if it did; a no-op in any other process."""
    try:
        plan = ChildPlan.from_environ(os.environ)
    except AgentreelError as exc:
        _abort(os.environ.get("AGENTREEL_RESULT_FILE"), str(exc))
    if plan is None:
        return
    try:
        run: _Recording | _Replaying = _Replaying(plan) if plan.replay else _Recording(plan)
    except (AgentreelError, OSError, ValueError) as exc:
        _abort(plan.result_file, str(exc))
    atexit.register(run.end)


def _abort(result_file: str | None, message: str) -> Any:
    if result_file:
        _write(result_file, {"error": message})
    print("agentreel: error: " + " ".join(message.splitlines()), file=sys.stderr, flush=True)
    os._exit(SETUP_FAILED)


def _write(path: str, value: dict[str, JSON]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(value, out)


def _configure(plan: ChildPlan) -> Recorder:
    rec = configure_recording(db=plan.db)
    if rec is None:
        raise ConfigurationError(
            f"cannot open the reel database {plan.db or '(default)'}; see the log above"
        )
    instrument()
    return rec


def _program_error() -> BaseException | None:
    # Set by the interpreter when the program ended with an uncaught exception,
    # before atexit handlers run.
    exc = getattr(sys, "last_value", None)
    return exc if isinstance(exc, BaseException) else None


class _Recording:
    """``agentreel record``: a session named after the script, written once a step lands in it.

    A program that opens its own ``agentreel.session(...)`` records into that
    one; the bootstrap's session then stays out of the store. The sessions
    steps landed in are collected by a pass-through interceptor, so the parent
    can name the one that was recorded.
    """

    def __init__(self, plan: ChildPlan) -> None:
        self.plan = plan
        self.rec = _configure(plan)
        self.sessions: list[str] = []
        self.submitted = False
        self.own = SessionHandle(
            self.rec, plan.name, tags=plan.tags, metadata={}, project=self.rec.project
        )
        self.own.started_at = time.time_ns()
        self.rec.join_host_trace(self.own)
        self.token: Token[SessionHandle | None] | None = current_session_var.set(self.own)
        self.rec.interceptor = self

    def step_started(self, step: StepHandle) -> Answer | None:
        session = step.session
        if session is not None and session.id not in self.sessions:
            self.sessions.append(session.id)
            if session is self.own:
                self.rec.submit(session)
        return None

    def step_finished(self, step: StepHandle) -> None:
        pass

    def end(self) -> None:
        if self.rec.interceptor is self:
            self.rec.interceptor = None
        exc = _program_error()
        if self.own.id in self.sessions:
            self.own.__exit__(None if exc is None else type(exc), exc, None)
        elif self.token is not None:
            try:
                current_session_var.reset(self.token)
            except ValueError:
                pass
        self.token = None
        flush()
        primary = self.own.id if self.own.id in self.sessions else None
        if primary is None and self.sessions:
            primary = self.sessions[0]
        _write(
            self.plan.result_file,
            {"session_id": primary, "sessions": list(self.sessions)},
        )


def _edit(plan: ChildPlan) -> Edit | None:
    if plan.edit_file is None:
        return None
    with open(plan.edit_file, encoding="utf-8") as src:
        data = json.load(src)
    if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in ("output", "input"):
        raise ConfigurationError(
            f"{plan.edit_file}: expected {{'output': ...}} or {{'input': ...}}"
        )
    return Edit(**data)


class _Replaying:
    """``agentreel replay``: the replay is installed for the whole life of the program."""

    def __init__(self, plan: ChildPlan) -> None:
        self.plan = plan
        _configure(plan)
        self.session: ReplaySession = replay(
            plan.replay or "",
            mode=plan.mode,
            fork_at=plan.fork_at,
            edit=_edit(plan),
            after_fork=plan.after_fork,
        )
        self.session.__enter__()

    def end(self) -> None:
        exc = _program_error()
        try:
            self.session.__exit__(None if exc is None else type(exc), exc, None)
        except ReplayDivergence:
            pass  # already in the result, which is what the parent reports
        flush()
        result = self.session.result
        _write(self.plan.result_file, {"replay": result.to_dict(), "text": result.render()})
