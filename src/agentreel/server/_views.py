"""``/api/diff``, ``/api/sessions/{id}/export`` and ``/api/costs``."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from agentreel.diff import FieldChange, StepPair, diff_sessions
from agentreel.model import SessionSummary, StepKind, StepTree, agent_totals
from agentreel.reelfile import export_reel
from agentreel.storage import SessionFilter, Store

from ._sessions import find_session
from ._shapes import session_json, step_json
from ._state import JSON, app_state, error, in_thread, key_project
from ._when import parse_when

router = APIRouter(prefix="/api")

#: Sessions a cost report reads at most (newest first); beyond, it says so.
COST_SESSIONS = 5000
TOP_SESSIONS = 10
_DAYS_FILLED = 366


def _change(change: FieldChange) -> dict[str, Any]:
    return {
        "path": change.path,
        "change": change.change,
        "before": change.before,
        "after": change.after,
        "text_diff": change.text_diff,
    }


def _pair(pair: StepPair | None) -> dict[str, Any] | None:
    if pair is None:
        return None
    return {
        "a": None if pair.a is None else step_json(pair.a),
        "b": None if pair.b is None else step_json(pair.b),
        "change": pair.status,
        "detail": [_change(c) for c in pair.changes],
    }


def _diff(store: Store, a: str, b: str, project: str | None) -> dict[str, Any]:
    # Resolving through find_session first keeps a key inside its project.
    id_a = find_session(store, a, project).session.id
    id_b = find_session(store, b, project).session.id
    result = diff_sessions(store, id_a, id_b)
    return {
        "a": session_json(result.a),
        "b": session_json(result.b),
        "identical": result.identical,
        "counts": dict(result.counts),
        "first_divergence": _pair(result.first_divergence),
        "rows": [_pair(p) for p in result.pairs],
    }


@router.get("/diff", summary="Diff two sessions")
async def diff(request: Request, a: str, b: str) -> JSON:
    """Steps of ``a`` and ``b`` aligned, and what changed in each pair (see docs/diff.md)."""
    store = app_state(request).store
    return JSON(await in_thread(_diff, store, a, b, key_project(request)))


def _export(store: Store, prefix: str, project: str | None) -> tuple[str, bytes]:
    session_id = find_session(store, prefix, project).session.id
    out = io.BytesIO()
    export_reel(store, [session_id], out, compress=False)
    return session_id, out.getvalue()


@router.get(
    "/sessions/{session_id}/export",
    summary="Export a session as a reel file",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def export(request: Request, session_id: str) -> Response:
    """The session with every payload it uses, as a reel file (``agentreel import`` reads it)."""
    store = app_state(request).store
    full_id, data = await in_thread(_export, store, session_id, key_project(request))
    name = re.sub(r"[^0-9a-f]", "", full_id)[:12]
    return Response(
        data,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}.reel"'},
    )


def _day(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).date().isoformat()


def _costs(store: Store, since_ns: int | None, project: str | None) -> dict[str, Any]:
    wanted = SessionFilter(since=since_ns, project=project, limit=COST_SESSIONS + 1)
    summaries = store.list_sessions(wanted)
    truncated = len(summaries) > COST_SESSIONS
    summaries = summaries[:COST_SESSIONS]
    days: dict[str, dict[str, Any]] = {}
    if since_ns is not None:
        first = dt.date.fromisoformat(_day(since_ns))
        today = dt.datetime.now(dt.UTC).date()
        if 0 <= (today - first).days <= _DAYS_FILLED:
            for n in range((today - first).days + 1):
                day = (first + dt.timedelta(days=n)).isoformat()
                days[day] = {"day": day, "cost": 0.0, "tokens": 0, "sessions": 0}
    models: dict[str, dict[str, Any]] = {}
    agents: dict[str, dict[str, Any]] = {}
    for summary in summaries:
        key = _day(summary.session.started_at)
        row = days.setdefault(key, {"day": key, "cost": 0.0, "tokens": 0, "sessions": 0})
        row["cost"] += summary.cost
        row["tokens"] += summary.usage.total
        row["sessions"] += 1
        steps = store.get_steps(summary.session.id)
        for step in steps:
            if step.kind is StepKind.LLM:
                m = models.setdefault(
                    step.model or "unknown",
                    {"model": step.model or "unknown", "cost": 0.0, "tokens": 0, "calls": 0},
                )
                m["cost"] += step.cost or 0.0
                m["tokens"] += step.usage.total
                m["calls"] += 1
        for name, totals in agent_totals(StepTree.build(steps)).items():
            a = agents.setdefault(name, {"agent": name, "cost": 0.0, "tokens": 0})
            a["cost"] += totals.cost
            a["tokens"] += totals.usage.total
    top: list[SessionSummary] = sorted(summaries, key=lambda s: s.cost, reverse=True)
    return {
        "by_day": [days[d] for d in sorted(days)],
        "by_model": sorted(models.values(), key=lambda m: -m["cost"]),
        "by_agent": sorted(agents.values(), key=lambda a: -a["cost"]),
        "top_sessions": [session_json(s) for s in top[:TOP_SESSIONS] if s.cost > 0],
        "sessions": len(summaries),
        "truncated": truncated,
    }


@router.get("/costs", summary="Cost and tokens by day, model and agent")
async def costs(
    request: Request,
    since: Annotated[str, Query(description="7d, 12h, ... or an ISO date")] = "7d",
    project: str | None = None,
) -> JSON:
    """Spending of the sessions started since ``since`` (days in UTC)."""
    try:
        since_ns = parse_when(since, time.time_ns())
    except ValueError as exc:
        return error(400, "BadRequest", str(exc))
    scoped = key_project(request)
    if scoped is not None:
        project = scoped
    store = app_state(request).store
    return JSON(await in_thread(_costs, store, since_ns, project))
