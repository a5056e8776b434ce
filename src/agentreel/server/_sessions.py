"""``/api/sessions``: list, one session, its steps, one step with its payloads."""

from __future__ import annotations

import dataclasses
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.requests import Request

from agentreel.errors import MissingPayload, UnknownSession
from agentreel.model import JSON as JSONValue
from agentreel.model import SessionSummary, Status, StepKind
from agentreel.storage import SessionFilter, Store, load_payload

from ._messages import chat_messages
from ._shapes import session_json, step_json
from ._state import JSON, app_state, error, in_thread, key_project
from ._steplist import depths, depths_of, rows_json, steps_json
from ._when import parse_when

router = APIRouter(prefix="/api")

MAX_LIMIT = 500
Sort = Literal["started", "duration", "steps", "tokens", "cost", "name"]


def find_session(store: Store, prefix: str, project: str | None) -> SessionSummary:
    """The session ``prefix`` names, if the caller's project may see it.

    A session of another project is answered as unknown, not as forbidden:
    a key must not learn which ids exist elsewhere.
    """
    summary = store.summarize(store.resolve_session_id(prefix))
    if project is not None and summary.session.project != project:
        raise UnknownSession(prefix)
    return summary


@router.get("/sessions", summary="List sessions")
async def list_sessions(
    request: Request,
    q: Annotated[str | None, Query(description="Search names and payload text")] = None,
    name: str | None = None,
    tag: Annotated[list[str] | None, Query()] = None,
    status: Status | None = None,
    project: str | None = None,
    since: Annotated[str | None, Query(description="7d, 12h, ... or an ISO date")] = None,
    until: str | None = None,
    sort: Sort = "started",
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> JSON:
    """Sessions matching every filter given, sorted, one page at a time."""
    state = app_state(request)
    now = time.time_ns()
    try:
        since_ns = None if since is None else parse_when(since, now)
        until_ns = None if until is None else parse_when(until, now)
    except ValueError as exc:
        return error(400, "BadRequest", str(exc))
    scoped = key_project(request)
    wanted = SessionFilter(
        name=name,
        text=q or None,
        tags=tuple(tag or ()),
        status=status,
        # A key sees its own project only, whatever the query asks.
        project=scoped if scoped is not None else project,
        since=since_ns,
        until=until_ns,
        order_by=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    if scoped is not None and project not in (None, scoped):
        return JSON({"sessions": [], "total": 0, "limit": limit, "offset": offset})
    page, total = await in_thread(_page, state.store, wanted)
    return JSON(
        {
            "sessions": [session_json(s) for s in page],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


def _page(store: Store, wanted: SessionFilter) -> tuple[list[SessionSummary], int]:
    page = store.list_sessions(wanted)
    if len(page) < (wanted.limit or 0) and (page or wanted.offset == 0):
        return page, wanted.offset + len(page)
    # A full page: count every match (the store has no filtered count yet).
    everything = dataclasses.replace(wanted, limit=None, offset=0, order_by="started")
    return page, len(store.list_sessions(everything))


@router.get("/sessions/{session_id}", summary="One session")
async def get_session(request: Request, session_id: str) -> JSON:
    """A session and its totals; ``session_id`` may be any unique prefix."""
    summary = await in_thread(
        find_session, app_state(request).store, session_id, key_project(request)
    )
    return JSON({"session": session_json(summary)})


def _steps(
    store: Store, prefix: str, project: str | None, start: int, limit: int | None
) -> dict[str, Any]:
    summary = find_session(store, prefix, project)
    sid = summary.session.id
    rows = getattr(store, "get_step_rows", None)
    if rows is None:  # a store without raw rows (the memory store)
        # Every step is read even for a page: a step's depth needs its ancestors.
        steps = store.get_steps(sid)
        depth = depths(steps)
        chosen = [s for s in steps if s.number >= start] if start > 1 else steps
        if limit is not None:
            chosen = chosen[:limit]
        return {"session": session_json(summary), "steps": steps_json(chosen, depth)}
    chosen_rows = rows(sid, from_number=start, limit=limit)
    if start == 1 and limit is None:
        depth = depths_of((row[1], row[3]) for row in chosen_rows)
    else:
        # A step's depth needs its ancestors: every step's parent is read,
        # but only the rows of the page asked for.
        depth = depths_of(store.get_step_parents(sid))  # type: ignore[attr-defined]
    return {"session": session_json(summary), "steps": rows_json(chosen_rows, depth)}


@router.get("/sessions/{session_id}/steps", summary="The steps of a session")
async def get_steps(
    request: Request,
    session_id: str,
    start: Annotated[int, Query(alias="from", ge=1)] = 1,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> JSON:
    """Steps in number order with their depth in the tree, without payloads."""
    store = app_state(request).store
    return JSON(await in_thread(_steps, store, session_id, key_project(request), start, limit))


def _payload(store: Store, ref: str | None) -> tuple[JSONValue, bool]:
    if ref is None:
        return None, False
    try:
        return load_payload(store, ref), False
    except MissingPayload:
        return None, True


def _step(store: Store, prefix: str, project: str | None, number: int) -> dict[str, Any]:
    summary = find_session(store, prefix, project)
    sid = summary.session.id
    step = store.get_step(sid, number)
    given, input_missing = _payload(store, step.input_ref)
    output, output_missing = _payload(store, step.output_ref)
    parents = getattr(store, "get_step_parents", None)
    if parents is None:  # a store without the light read (the memory store)
        children = [s.number for s in store.get_steps(sid) if s.parent_number == number]
    else:
        children = [n for n, parent in parents(sid) if parent == number]
    return {
        "step": step_json(step),
        "input": given,
        "output": output,
        "messages": chat_messages(given) if step.kind is StepKind.LLM else None,
        "children": children,
        "input_missing": input_missing,
        "output_missing": output_missing,
    }


@router.get("/sessions/{session_id}/steps/{number}", summary="One step with its payloads")
async def get_step(request: Request, session_id: str, number: int) -> JSON:
    """A step, its input and output, the chat messages of a model call, its children."""
    store = app_state(request).store
    return JSON(await in_thread(_step, store, session_id, key_project(request), number))
