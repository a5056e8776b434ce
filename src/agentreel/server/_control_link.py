"""``/v1/control/...``: the agent's side of the live-debug link.

An agent process linked to this server (``configure(endpoint=...)`` with the
control channel on) polls ``/v1/control/poll``: the server holds the request
until a controller queued something for the process, or a controller the
agent holds has gone (so that the agent resumes its pauses at once), or
``wait`` seconds passed. The agent sends responses, events and its latest
hello to ``/v1/control/push``, and ``/v1/control/leave`` when it stops.

With auth on these need an API key like ``/v1/traces``; the process belongs
to the key's project, never to anything the payload says.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from . import _relay
from ._state import JSON, app_state, error, in_thread, key_project

__all__ = ["router"]

router = APIRouter(prefix="/v1/control")

ProcessId = Annotated[str, Field(pattern=r"^[0-9a-f]{8,64}$")]
_MAX_ITEMS = 1000


class _Identity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    process: ProcessId = Field(description="the link's random id, made by the agent")
    host: str = Field(default="", max_length=200)
    pid: int = Field(default=0, ge=0, le=2**31)
    program: str = Field(default="", max_length=400)
    hello: dict[str, Any] | None = Field(
        default=None, description="the channel's hello: sessions, pauses, breakpoints"
    )
    version: int = Field(
        default=0, ge=0, le=2**62, description="the hello's number; a lower one is stale"
    )


class PollBody(_Identity):
    controllers: list[str] = Field(
        default_factory=list, max_length=_MAX_ITEMS, description="controllers the agent holds"
    )
    wait: float = Field(default=20.0, ge=0, description="seconds to hold the poll at most")


class _Response(BaseModel):
    seq: int
    response: dict[str, Any]


class _Event(BaseModel):
    controller: str | None = None
    event: dict[str, Any]


class PushBody(_Identity):
    responses: list[_Response] = Field(default_factory=list, max_length=_MAX_ITEMS)
    events: list[_Event] = Field(default_factory=list, max_length=_MAX_ITEMS)


async def _seen(request: Request, body: _Identity) -> JSON | None:
    """Record the process as seen; an error answer if its id is another project's."""
    board = _relay.board_of(app_state(request).store)
    ok = await in_thread(
        board.seen,
        body.process,
        project=key_project(request),
        host=body.host,
        pid=body.pid,
        program=body.program,
        hello=body.hello,
        version=body.version,
        now=time.time_ns(),
    )
    if ok:
        return None
    return error(409, "ProcessIdTaken", "this process id belongs to another project's process")


@router.post("/poll", summary="An agent process waits for controllers' requests")
async def poll(request: Request, body: PollBody) -> JSON:
    """Requests queued for the process, the controllers still attached, and their timeout.

    Answers as soon as a request is queued or a controller the agent holds has
    gone; otherwise after ``wait`` seconds (at most 25) with no requests.
    """
    refused = await _seen(request, body)
    if refused is not None:
        return refused
    board = _relay.board_of(app_state(request).store)
    wait = min(body.wait, _relay.MAX_POLL_WAIT)
    ttl = _relay.controller_timeout()
    deadline = time.monotonic() + wait
    held = set(body.controllers)
    taken: list[tuple[int, str, dict[str, Any]]] = []
    while True:
        with _relay.wakeups.armed(("requests", body.process)) as queued:
            now = time.time_ns()
            alive = await in_thread(board.alive_controllers, body.process, now)
            if held - set(alive) or time.monotonic() >= deadline:
                break
            if await request.is_disconnected():
                return JSON({"requests": [], "controllers": alive, "controller_timeout": ttl})
            if await in_thread(board.has_requests, body.process):
                taken = await in_thread(board.take_requests, body.process, now)
                if taken:
                    alive = await in_thread(board.alive_controllers, body.process, time.time_ns())
                    break
            await _relay.nap(queued, _relay.POLL_STEP)
    requests = [
        {
            "seq": seq,
            "controller": controller,
            "peer": item.get("peer"),
            "request": item.get("request"),
        }
        for seq, controller, item in taken
    ]
    return JSON({"requests": requests, "controllers": alive, "controller_timeout": ttl})


@router.post("/push", summary="An agent process sends responses, events and its state")
async def push(request: Request, body: PushBody) -> JSON:
    """Stores the responses (read by the waiting controllers) and the events."""
    refused = await _seen(request, body)
    if refused is not None:
        return refused
    board = _relay.board_of(app_state(request).store)
    now = time.time_ns()
    await in_thread(board.answer, body.process, [(r.seq, r.response) for r in body.responses], now)
    for answered in body.responses:
        _relay.wakeups.wake(("response", answered.seq))
    if body.events:
        await in_thread(
            board.add_events, body.process, [(e.controller, e.event) for e in body.events], now
        )
        _relay.wakeups.wake(("events", body.process))
    return JSON({"ok": True})


@router.post("/leave", summary="An agent process stops: forget its link")
async def leave(request: Request, body: _Identity) -> JSON:
    store = app_state(request).store
    row = await in_thread(_relay.board_of(store).process, body.process)
    if row is None or row.project != key_project(request):
        return JSON({"ok": False})
    await in_thread(_relay.board_of(store).ended, body.process, time.time_ns())
    return JSON({"ok": True})
