"""``/api/live/...`` for agent processes linked to the server (rather than on its machine).

The web UI's live endpoints first look for the session's process through the
local control sockets (``_live_debug``); when none records it, they look
among the processes linked to the server (``_relay``). Answers have the same
shapes either way. The page acts as one controller per project,
:data:`WEB_CONTROLLER`, shared by every server process on the database, so a
breakpoint set through one replica is there when the next request lands on
another; it stays attached while the page asks (the page polls the state
every second) and goes, like a local connection, :data:`IDLE_SECONDS` after
the last request.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from agentreel.storage import LiveProcessRow, Store

from . import _relay
from ._state import in_thread

__all__ = [
    "LiveAnswer",
    "gone",
    "linked_act",
    "linked_command",
    "linked_process",
    "linked_state",
    "pick_pause",
]

CONTROLLER_NAME = "agentreel serve web UI"
IDLE_SECONDS = 90.0
_ASK_TIMEOUT = 10.0


class LiveAnswer(Exception):
    """An error answer: HTTP status, error type, message (as ``_live_debug`` gives)."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        self.status = status
        self.kind = kind
        super().__init__(message)


def _web_controller(project: str | None) -> str:
    return f"web-ui:{project or '-'}"[:80]


def _find(store: Store, session_id: str, project: str | None) -> LiveProcessRow | None:
    for row in _relay.visible_processes(store, project):
        for session in row.hello.get("sessions") or ():
            if isinstance(session, dict) and session.get("id") == session_id:
                if session.get("status") != "running":
                    raise LiveAnswer(
                        404, "NotLive", f"session {session_id} has ended in process {row.pid}"
                    )
                return row
    return None


async def linked_process(
    store: Store, session_id: str, project: str | None
) -> LiveProcessRow | None:
    """The linked process recording ``session_id``, if one is."""
    return await in_thread(_find, store, session_id, project)


async def linked_state(
    store: Store, row: LiveProcessRow, project: str | None, session_id: str
) -> dict[str, Any]:
    shown = _relay.process_json(row)
    controller = _web_controller(project)
    board = _relay.board_of(store)
    # The page is still open: its controller (if it has acted) and its breakpoints stay.
    await in_thread(_relay.keep, store, row.id, controller, ttl=IDLE_SECONDS)
    known = await in_thread(board.controller, row.id, controller, time.time_ns())
    pauses = [p for p in shown["pauses"] if p.get("session_id") == session_id]
    return {
        "session_id": session_id,
        "live": True,
        "pid": row.pid,
        "host": row.host,
        "process": row.id,
        "program": row.program,
        "pause_timeout": shown["pause_timeout"],
        "controller": None if known is None else known[1],
        "paused": bool(pauses),
        "paused_at": pauses[0] if pauses else None,
        "pauses": pauses,
        "breakpoints": shown["breakpoints"],
    }


async def linked_act(
    store: Store, row: LiveProcessRow, project: str | None, op: str, args: dict[str, Any]
) -> Any:
    """Send ``op`` to the process as the page's controller; its result, or LiveAnswer."""
    controller = _web_controller(project)
    peer = "via server"
    new = await in_thread(
        _relay.touch, store, row.id, controller, CONTROLLER_NAME, ttl=IDLE_SECONDS
    )
    if new:
        answer = await _ask(store, row, controller, {"op": "attach", "name": CONTROLLER_NAME}, peer)
        label = (answer.get("result") or {}).get("label") if answer.get("ok") else None
        if isinstance(label, str):
            await in_thread(_relay.board_of(store).set_label, row.id, controller, label)
    answer = await _ask(store, row, controller, {"op": op, **args}, peer)
    if answer.get("ok"):
        return answer.get("result")
    problem = answer.get("error") or {}
    code, message = problem.get("code"), str(problem.get("message", "refused"))
    if code == "no_such_pause":
        raise LiveAnswer(409, "PauseGone", gone(args.get("pause")))
    if code in ("refused", "bad_request"):
        if op == "clear":
            raise LiveAnswer(404, "UnknownBreakpoint", message)
        raise LiveAnswer(400, "BadRequest", message)
    raise LiveAnswer(503, "AgentUnavailable", message)


async def _ask(
    store: Store, row: LiveProcessRow, controller: str, request: dict[str, Any], peer: str
) -> dict[str, Any]:
    try:
        return await _relay.ask(
            store, row.id, controller, {**request, "id": 1}, peer=peer, timeout=_ASK_TIMEOUT
        )
    except _relay.NoAnswer as exc:
        gone = await in_thread(_relay.visible_process, store, row.id, None)
        if gone is None:
            raise LiveAnswer(404, "NotLive", f"the agent process ended: {exc}") from None
        raise LiveAnswer(503, "AgentUnavailable", str(exc)) from None


async def linked_command(
    store: Store,
    row: LiveProcessRow,
    project: str | None,
    session_id: str,
    action: str,
    pause: int | None,
    new_input: Any,
) -> dict[str, Any]:
    pause, target = pick_pause(_relay.process_json(row)["pauses"], session_id, pause)
    args: dict[str, Any] = {"pause": pause, "action": action}
    if action == "edit":
        args["input"] = new_input
    await linked_act(store, row, project, "resolve", args)
    return {"pause": pause, "action": action, "step": target.get("step")}


def pick_pause(
    pauses: Iterable[dict[str, Any]], session_id: str, pause: int | None
) -> tuple[int, dict[str, Any]]:
    """The paused step of ``session_id`` a command means: ``pause``, or the only one."""
    waiting = [p for p in pauses if p.get("session_id") == session_id]
    if pause is None:
        if not waiting:
            raise LiveAnswer(409, "PauseGone", f"no step of session {session_id} is paused")
        if len(waiting) > 1:
            numbers = ", ".join(str(p["pause"]) for p in waiting)
            raise LiveAnswer(
                409, "AmbiguousPause", f'several steps are paused ({numbers}); send "pause"'
            )
        pause = int(waiting[0]["pause"])
    target = next((p for p in waiting if p.get("pause") == pause), None)
    if target is None:
        raise LiveAnswer(409, "PauseGone", gone(pause))
    return pause, target


def gone(pause: Any) -> str:
    return (
        f"pause {pause} is not waiting any more: it was resolved by another controller "
        "or timed out; reload the state"
    )
