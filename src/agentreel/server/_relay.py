"""Relaying control requests to agent processes linked to the server, through the store.

An agent linked to the server (``agentreel.hooks._link``) polls
``/v1/control/poll``; a controller's request is queued in the store, taken by
whichever server process holds that poll, answered by the agent through
``/v1/control/push`` (possibly to a third server process), and read back from
the store by the server process the controller waits on. Nothing of it lives
in one server's memory, so several ``agentreel serve`` on one PostgreSQL
database work as one.

Projects: a process belongs to the project of the API key it polls with; a
controller sees and drives only processes of its own key's project (another
project's process is answered as unknown). Without auth, everything is one.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio

from agentreel.hooks import OPS
from agentreel.storage import LiveBoard, LiveProcessRow, Store, live_board

from ._state import in_thread

__all__ = [
    "CONTROLLER_ID",
    "LIVE_SECONDS",
    "NoAnswer",
    "ask",
    "controller_timeout",
    "process_json",
    "visible_process",
    "visible_processes",
]

#: A process that has not polled for this long is no longer listed (its poll
#: is held at most :data:`MAX_POLL_WAIT` seconds, so a live one is never this late).
LIVE_SECONDS = 60.0
MAX_POLL_WAIT = 25.0
#: Seconds between looks at the store while a controller waits for a response.
WAIT_STEP = 0.05
#: Seconds between looks at the store while an agent's poll waits for requests:
#: two small reads each, for as long as the agent is linked.
POLL_STEP = 0.1
#: Environment variable: seconds a controller stays attached after its last
#: request or event read (default :data:`DEFAULT_CONTROLLER_TIMEOUT`).
CONTROLLER_TIMEOUT_ENV = "AGENTREEL_CONTROLLER_TIMEOUT"
DEFAULT_CONTROLLER_TIMEOUT = 30.0
#: What a controller id may look like: chosen by the controller, not secret.
CONTROLLER_ID = re.compile(r"[A-Za-z0-9_.:-]{8,80}")
_NS = 1_000_000_000


class NoAnswer(Exception):
    """The agent did not answer in time (its link is down, or it is busy)."""


class Wakeups:
    """Waiters of this server process, woken when this process stores what they wait for.

    Only a shortcut: a waiter also reads the store every few hundredths of a
    second, which is how it hears of what another server process stored.
    """

    def __init__(self) -> None:
        self._waiting: dict[Hashable, set[anyio.Event]] = {}

    @contextmanager
    def armed(self, key: Hashable) -> Iterator[anyio.Event]:
        """An event set by :meth:`wake` (``key``) while the block runs: arm it before
        reading the store, then wait on it, and nothing stored meanwhile is missed."""
        event = anyio.Event()
        self._waiting.setdefault(key, set()).add(event)
        try:
            yield event
        finally:
            found = self._waiting.get(key)
            if found is not None:
                found.discard(event)
                if not found:
                    del self._waiting[key]

    def wake(self, key: Hashable) -> None:
        for event in self._waiting.get(key, ()):
            event.set()


#: Agents' polls wait on ("requests", process id); controllers on ("response", seq).
wakeups = Wakeups()


async def nap(event: anyio.Event, seconds: float) -> None:
    """Wait until ``event`` is set or ``seconds`` pass."""
    with anyio.move_on_after(seconds):
        await event.wait()


def controller_timeout() -> float:
    raw = os.environ.get(CONTROLLER_TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_CONTROLLER_TIMEOUT
    except ValueError:
        value = DEFAULT_CONTROLLER_TIMEOUT
    return max(0.5, value)


def board_of(store: Store) -> LiveBoard:
    return live_board(store)


def visible_processes(store: Store, project: str | None) -> list[LiveProcessRow]:
    """Linked processes still polling, that a key of ``project`` may see."""
    since = time.time_ns() - int(LIVE_SECONDS * _NS)
    rows = board_of(store).processes(seen_since=since)
    return [r for r in rows if project is None or r.project == project]


def visible_process(store: Store, process_id: str, project: str | None) -> LiveProcessRow | None:
    row = board_of(store).process(process_id)
    if row is None or row.ended_at is not None:
        return None
    if time.time_ns() - row.seen_at > LIVE_SECONDS * _NS:
        return None
    if project is not None and row.project != project:
        return None  # another project's process is unknown, not forbidden
    return row


def _aged(hello: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The hello as it would read now: pauses have waited longer since it was sent."""
    pauses = []
    for pause in hello.get("pauses") or ():
        if isinstance(pause, dict):
            pause = dict(pause)
            if isinstance(pause.get("waited_s"), (int, float)):
                pause["waited_s"] = round(pause["waited_s"] + seconds, 3)
            if isinstance(pause.get("resumes_in_s"), (int, float)):
                pause["resumes_in_s"] = round(max(0.0, pause["resumes_in_s"] - seconds), 3)
        pauses.append(pause)
    return {**hello, "pauses": pauses}


def process_json(row: LiveProcessRow, last_event: int | None = None) -> dict[str, Any]:
    """A linked process as the API shows it."""
    age = max(0.0, (time.time_ns() - row.seen_at) / _NS)
    hello = _aged(row.hello, age)
    found: dict[str, Any] = {
        "id": row.id,
        "project": row.project,
        "host": row.host,
        "pid": row.pid,
        "program": row.program,
        "seen_s_ago": round(age, 3),
        "sessions": hello.get("sessions") or [],
        "pauses": hello.get("pauses") or [],
        "breakpoints": hello.get("breakpoints") or [],
        "pause_timeout": hello.get("pause_timeout"),
        "hello": {**hello, "host": row.host, "process": row.id},
    }
    if last_event is not None:
        found["last_event"] = last_event
    return found


def touch(
    store: Store, process_id: str, controller: str, name: str, *, ttl: float | None = None
) -> bool:
    """Keep ``controller`` attached for its timeout; True if it is new."""
    now = time.time_ns()
    expires = now + int((ttl if ttl is not None else controller_timeout()) * _NS)
    return board_of(store).touch(process_id, controller, name=name, expires_at=expires, now=now)


def keep(store: Store, process_id: str, controller: str, *, ttl: float | None = None) -> bool:
    """Keep an attached controller attached for its timeout; False if it is not attached."""
    now = time.time_ns()
    expires = now + int((ttl if ttl is not None else controller_timeout()) * _NS)
    return board_of(store).extend(process_id, controller, expires_at=expires, now=now)


async def ask(
    store: Store,
    process_id: str,
    controller: str,
    request: dict[str, Any],
    *,
    peer: str,
    timeout: float,
) -> dict[str, Any]:
    """Queue ``request`` for the process and wait for its response (the channel's message).

    Raises :class:`NoAnswer` after ``timeout`` seconds; a request the agent
    had not taken by then is withdrawn, so it never acts late.
    """
    if request.get("op") not in OPS:
        return {
            "type": "response",
            "id": request.get("id"),
            "ok": False,
            "error": {"code": "unknown_op", "message": f"unknown op; the ops are {', '.join(OPS)}"},
        }
    board = board_of(store)
    body = {"peer": peer, "request": request}
    seq = await in_thread(board.queue, process_id, controller, body, time.time_ns())
    wakeups.wake(("requests", process_id))
    deadline = time.monotonic() + timeout
    while True:
        with wakeups.armed(("response", seq)) as answered:
            found = await in_thread(board.response, seq)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                await in_thread(board.withdraw, seq)
                raise NoAnswer(
                    f"the agent process did not answer {request.get('op')!r} within "
                    f"{timeout:g} s (its link to the server is down, or it is stopping)"
                )
            await nap(answered, WAIT_STEP)
