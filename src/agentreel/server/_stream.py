"""``/api/sessions/{id}/stream``: a session's steps as server-sent events.

The stream polls the store rather than listening inside this process, so it
follows a session written by any recorder or any server replica sharing the
database. Each ``step`` event is a step as it starts and again when it
changes (ends); ``session`` events carry the session's totals when they
change; ``end`` says the session is over and nothing more will come (an
``EventSource`` would otherwise reconnect forever).

Event ids are a low-water mark: every step numbered up to the id has been
sent in its final state. A reconnecting client sends it back as
``Last-Event-ID`` and gets everything after it again, running steps
included; clients key steps by number, so a repeat is harmless.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import StreamingResponse

from agentreel.model import SessionSummary, Status, Step
from agentreel.storage import Store

from ._sessions import find_session
from ._shapes import session_json, step_json
from ._state import AppState, app_state, in_thread, key_project

router = APIRouter(prefix="/api")

#: Milliseconds an EventSource waits before reconnecting after a dropped stream.
RETRY_MS = 2000


def _event(kind: str, data: Any, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"


def _read(store: Store, session_id: str, after: int) -> tuple[list[Step], SessionSummary]:
    return store.get_steps(session_id, from_number=after + 1), store.summarize(session_id)


class _Follower:
    """What one stream has sent: the low-water mark and the steps above it."""

    def __init__(self, low: int) -> None:
        self.low = low
        self.sent: dict[int, Step] = {}
        self.session: dict[str, Any] | None = None

    def steps(self, steps: list[Step]) -> list[bytes]:
        out: list[bytes] = []
        for step in steps:
            if self.sent.get(step.number) == step:
                continue
            self.sent[step.number] = step
            # Advance over every step that is now final, in number order, so
            # the id on this event never claims a step not yet sent whole.
            while (
                nxt := self.sent.get(self.low + 1)
            ) is not None and nxt.status is not Status.RUNNING:
                del self.sent[self.low + 1]
                self.low += 1
            out.append(_event("step", step_json(step), self.low))
        return out

    def summary(self, summary: SessionSummary) -> list[bytes]:
        shape = session_json(summary)
        if shape == self.session:
            return []
        self.session = shape
        return [_event("session", shape, self.low)]

    def finished(self, summary: SessionSummary) -> bool:
        running = any(s.status is Status.RUNNING for s in self.sent.values())
        return summary.session.status is not Status.RUNNING and not running


async def _events(
    request: Request, state: AppState, session_id: str, low: int
) -> AsyncIterator[bytes]:
    settings = state.settings
    follower = _Follower(low)
    yield f"retry: {RETRY_MS}\n\n".encode()
    quiet_since = time.monotonic()
    while True:
        steps, summary = await in_thread(_read, state.store, session_id, follower.low)
        chunks = follower.steps(steps) + follower.summary(summary)
        for chunk in chunks:
            yield chunk
        if follower.finished(summary):
            yield _event("end", {"session": session_id}, follower.low)
            return
        now = time.monotonic()
        if chunks:
            quiet_since = now
        elif now - quiet_since >= settings.heartbeat:
            # A comment line: proxies and load balancers see traffic and keep
            # the connection; EventSource ignores it.
            yield b": keepalive\n\n"
            quiet_since = now
        if await request.is_disconnected():
            return
        await anyio.sleep(settings.poll_interval)


@router.get(
    "/sessions/{session_id}/stream",
    summary="Follow a session live (server-sent events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(request: Request, session_id: str) -> StreamingResponse:
    """``step``, ``session`` and ``end`` events; resumes from ``Last-Event-ID``."""
    state = app_state(request)
    summary = await in_thread(find_session, state.store, session_id, key_project(request))
    given = request.headers.get("last-event-id", "").strip()
    low = int(given) if given.isdigit() else 0
    return StreamingResponse(
        _events(request, state, summary.session.id, low),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
