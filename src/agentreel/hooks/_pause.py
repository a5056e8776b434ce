"""Paused steps and the people who resolve them.

A step pauses (a ``Pause`` decision, a breakpoint, an approval) on the
agent's own thread, which waits here until a controller resolves the pause —
``agentreel attach`` over the local socket, the debugger, the web UI — or the
pause times out. Controllers only pick one of a fixed set of actions and may
send a new input as data: nothing sent to a paused agent is ever executed.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentreel.errors import HookError

from ._events import Call

__all__ = ["ACTIONS", "DEFAULT_PAUSE_TIMEOUT", "PauseBoard", "Paused", "Resolution"]

#: What a controller may do with a paused step.
ACTIONS = ("continue", "step", "skip", "edit", "abort")
DEFAULT_PAUSE_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """How a pause ended: an action from ``ACTIONS`` or ``"timeout"``, and by whom."""

    action: str
    input: Any = None
    by: str = ""


@dataclass(slots=True, kw_only=True)
class Paused:
    """A step waiting before it runs."""

    id: int
    call: Call
    reason: str
    since: float
    deadline: float
    on_timeout: str
    _done: threading.Event = field(default_factory=threading.Event)
    _resolution: Resolution | None = None

    @property
    def resolution(self) -> Resolution | None:
        """How the pause ended (None while it waits)."""
        return self._resolution

    def describe(self) -> dict[str, Any]:
        """The paused step as plain JSON-safe data, for controllers."""
        c = self.call
        return {
            "pause": self.id,
            "session_id": c.session_id,
            "session_name": c.session_name,
            "step": c.number,
            "parent": c.parent_number,
            "kind": c.kind,
            "name": c.name,
            "model": c.model,
            "input": c.input,
            "reason": self.reason,
            "waited_s": round(time.monotonic() - self.since, 3),
            "resumes_in_s": round(max(0.0, self.deadline - time.monotonic()), 3),
            "on_timeout": self.on_timeout,
        }


Listener = Callable[[str, Paused], None]


class PauseBoard:
    """Every step paused in this process, and the controllers watching them."""

    def __init__(self, timeout: float = DEFAULT_PAUSE_TIMEOUT) -> None:
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._paused: dict[int, Paused] = {}
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener("paused"|"resumed", paused)``; returns an unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return stop

    def _tell(self, what: str, paused: Paused) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(what, paused)
            except Exception:  # a controller's failure never reaches the agent
                pass

    def paused(self) -> list[Paused]:
        with self._lock:
            return sorted(self._paused.values(), key=lambda p: p.id)

    def wait(
        self, call: Call, reason: str, *, timeout: float | None = None, on_timeout: str = "continue"
    ) -> Resolution:
        """Hold the calling thread until the pause is resolved or times out."""
        limit = self.timeout if timeout is None else timeout
        now = time.monotonic()
        paused = Paused(
            id=next(self._ids),
            call=call,
            reason=reason,
            since=now,
            deadline=now + limit,
            on_timeout=on_timeout,
        )
        with self._lock:
            self._paused[paused.id] = paused
        self._tell("paused", paused)
        paused._done.wait(limit)
        with self._lock:
            self._paused.pop(paused.id, None)
            resolution = paused._resolution or Resolution(action="timeout", by="timeout")
            paused._resolution = resolution
        self._tell("resumed", paused)
        return resolution

    def resolve(self, pause_id: int, action: str, *, input: Any = None, by: str = "") -> None:
        """Resume paused step ``pause_id`` with ``action``; raises ``HookError`` if impossible."""
        if action not in ACTIONS:
            raise HookError(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}")
        if action == "edit" and input is None:
            raise HookError("edit needs the step's new input")
        with self._lock:
            paused = self._paused.get(pause_id)
            if paused is None or paused._resolution is not None:
                raise HookError(f"no step is paused with id {pause_id}")
            paused._resolution = Resolution(action=action, input=input, by=by)
        paused._done.set()

    def resume_all(self, by: str) -> int:
        """Continue every paused step (a controller went away); returns how many."""
        count = 0
        for paused in self.paused():
            try:
                self.resolve(paused.id, "continue", by=by)
                count += 1
            except HookError:
                pass
        return count
