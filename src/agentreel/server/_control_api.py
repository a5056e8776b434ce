"""``/api/control/...``: controllers driving agent processes linked to this server.

What ``agentreel attach --server URL`` uses, and any script may: list the
linked processes, send one of the control channel's requests to a process
and get its response, read the process's events, and detach. A controller
names itself with an id of its choosing (``controller``); it stays attached
while it keeps asking (a request, or an events read, at least every
``$AGENTREEL_CONTROLLER_TIMEOUT`` seconds, default 30). When it detaches or
stops asking, the agent removes its breakpoints and resumes the steps it
paused, as when a local ``agentreel attach`` disconnects.

Responses are the channel's own messages (docs/live.md): ``{"ok": true,
"result": ...}`` or ``{"ok": false, "error": {"code", "message"}}``, with HTTP
200 either way; 404 means the process is not linked (or is another project's),
504 that it did not answer in time.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from agentreel.hooks import OPS

from . import _relay
from ._state import JSON, app_state, error, in_thread, key_project

__all__ = ["router"]

router = APIRouter(prefix="/api/control")

ControllerId = Annotated[
    str, Field(pattern=_relay.CONTROLLER_ID.pattern, description="the controller's own id")
]
#: Longest a controller's request waits for the agent's response.
MAX_TIMEOUT = 60.0


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    controller: ControllerId
    name: str = Field(default="api controller", min_length=1, max_length=60)
    op: str = Field(description=f"one of: {', '.join(OPS)}")
    args: dict[str, Any] = Field(default_factory=dict, description="the op's arguments")
    timeout: float = Field(default=10.0, gt=0, le=MAX_TIMEOUT)


def _missing(process_id: str) -> JSON:
    return error(
        404,
        "UnknownProcess",
        f"no agent process {process_id!r} is linked to this server (it stopped, its link is "
        "down, or it belongs to another project); GET /api/control/processes lists them",
    )


@router.get("/processes", summary="Agent processes linked to the server")
async def list_processes(request: Request) -> JSON:
    """Every linked process still polling: host, pid, sessions, pauses and breakpoints."""
    rows = await in_thread(_relay.visible_processes, app_state(request).store, key_project(request))
    return JSON({"processes": [_relay.process_json(r) for r in rows]})


@router.get("/processes/{process_id}", summary="One linked agent process")
async def get_process(request: Request, process_id: str) -> JSON:
    """The process, with ``last_event``: read events after it to see only new ones."""
    store = app_state(request).store
    row = await in_thread(_relay.visible_process, store, process_id, key_project(request))
    if row is None:
        return _missing(process_id)
    last = await in_thread(_relay.board_of(store).last_event, process_id)
    return JSON(_relay.process_json(row, last))


@router.post("/processes/{process_id}/requests", summary="Send a control request, get its response")
async def send_request(request: Request, process_id: str, body: RequestBody) -> JSON:
    """The agent's response: ``{"seq", "response": {"ok", "result" | "error"}}``; 504 if late."""
    store = app_state(request).store
    row = await in_thread(_relay.visible_process, store, process_id, key_project(request))
    if row is None:
        return _missing(process_id)
    if body.op not in OPS:
        return error(400, "BadRequest", f"unknown op {body.op!r}; the ops are {', '.join(OPS)}")
    await in_thread(_relay.touch, store, process_id, body.controller, body.name)
    message = {**body.args, "op": body.op, "id": 1}
    try:
        answer = await _relay.ask(
            store,
            process_id,
            body.controller,
            message,
            peer=f"via server, {body.controller[:8]}",
            timeout=body.timeout,
        )
    except _relay.NoAnswer as exc:
        return error(504, "AgentUnavailable", str(exc))
    if body.op == "attach" and answer.get("ok"):
        label = (answer.get("result") or {}).get("label")
        if isinstance(label, str):
            await in_thread(_relay.board_of(store).set_label, process_id, body.controller, label)
    response = {k: v for k, v in answer.items() if k in ("ok", "result", "error")}
    return JSON({"response": response})


@router.get("/processes/{process_id}/events", summary="Events of a linked process")
async def read_events(
    request: Request,
    process_id: str,
    after: Annotated[int, Query(ge=0, le=2**62, description="the last seq seen")] = 0,
    controller: Annotated[str | None, Query(max_length=80)] = None,
    wait: Annotated[float, Query(ge=0, le=_relay.MAX_POLL_WAIT)] = 0.0,
) -> JSON:
    """Events after ``after`` (``paused``, ``resumed``, ``session``, a watcher's ``step``),
    waiting up to ``wait`` seconds for one; reading keeps ``controller`` attached."""
    store = app_state(request).store
    project = key_project(request)
    row = await in_thread(_relay.visible_process, store, process_id, project)
    if row is None:
        return _missing(process_id)
    board = _relay.board_of(store)
    ttl = _relay.controller_timeout()
    if controller is not None:
        if not _relay.CONTROLLER_ID.fullmatch(controller):
            return error(400, "BadRequest", "controller: 8 to 80 of A-Z a-z 0-9 _ . : -")
        await in_thread(_relay.keep, store, process_id, controller)
    # Held no longer than a third of the controller timeout: reading is what
    # keeps a controller attached.
    deadline = time.monotonic() + min(wait, ttl / 3)
    while True:
        with _relay.wakeups.armed(("events", process_id)) as sent:
            found = await in_thread(board.events, process_id, after=after, controller=controller)
            if found or time.monotonic() >= deadline or await request.is_disconnected():
                break
            await _relay.nap(sent, _relay.POLL_STEP)
    alive = await in_thread(_relay.visible_process, store, process_id, project)
    events = [{"seq": seq, **event} for seq, event in found]
    last = found[-1][0] if found else after
    return JSON({"events": events, "last": last, "live": alive is not None})


@router.delete("/processes/{process_id}/controllers/{controller}", summary="Detach a controller")
async def detach(request: Request, process_id: str, controller: str) -> JSON:
    """The agent removes the controller's breakpoints and resumes what it paused."""
    store = app_state(request).store
    row = await in_thread(_relay.visible_process, store, process_id, key_project(request))
    if row is None:
        return _missing(process_id)
    left = await in_thread(_relay.board_of(store).leave, process_id, controller)
    return JSON({"detached": left})
