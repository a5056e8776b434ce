"""Short forms of numbers and times, and the JSON shapes of sessions, steps, usage, errors.

The command line, the reports and the server print the same figures the same
way and answer with the same JSON; they live in different layers, so the
shared forms live here, below all of them. The JSON shapes are a public
interface (scripts and the web UI parse them; docs/cli.md and docs/api.md
document them): add keys freely, never rename or remove one. Times are ISO
8601 in UTC, durations milliseconds, costs US dollars.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from agentreel.model import ErrorInfo, SessionSummary, Step, TokenUsage, Totals

__all__ = [
    "ID_PREFIX",
    "error_json",
    "format_cost",
    "format_tokens",
    "iso_utc",
    "session_json",
    "short_id",
    "step_json",
    "tokens_json",
    "totals_json",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Characters of a session id that listings show; any unique prefix is accepted back.
ID_PREFIX = 12


def short_id(session_id: str) -> str:
    return session_id[:ID_PREFIX]


def format_tokens(count: int) -> str:
    """``"950"``, ``"12.3k"``, ``"123k"``, ``"4.5M"``."""
    if count < 1000:
        return str(count)
    for unit, size in (("k", 1_000), ("M", 1_000_000), ("B", 1_000_000_000)):
        value = count / size
        if round(value, 1) < 100:
            return f"{value:.1f}{unit}"
        if round(value) < 1000 or unit == "B":
            return f"{round(value)}{unit}"
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def format_cost(usd: float | None) -> str:
    """``"$0.0123"`` below a dollar, ``"$12.34"`` above; ``"-"`` when unknown."""
    if usd is None:
        return "-"
    if usd == 0:
        return "$0"
    if usd < 0.0001:
        # Cheap models cost fractions of a hundredth of a cent per call; show
        # that they cost something rather than a misleading "$0.0000".
        return "<$0.0001"
    if usd < 1:
        return f"${usd:.4f}"
    if usd < 1000:
        return f"${usd:,.2f}"
    return f"${usd:,.0f}"


def iso_utc(ns: int | None) -> str | None:
    """ISO 8601 in UTC with microseconds, as every ``--json`` output writes times."""
    if ns is None:
        return None
    # Integer arithmetic: a float of seconds cannot hold every microsecond.
    moment = _EPOCH + dt.timedelta(microseconds=ns // 1000)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def tokens_json(usage: TokenUsage) -> dict[str, int]:
    return {
        "input": usage.input,
        "output": usage.output,
        "cached": usage.cached,
        "reasoning": usage.reasoning,
        "total": usage.total,
    }


def error_json(error: ErrorInfo | None) -> dict[str, str] | None:
    if error is None:
        return None
    return {"type": error.type, "message": error.message, "traceback": error.traceback}


def _ms(ns: int | None) -> float | None:
    return None if ns is None else round(ns / 1_000_000, 3)


def totals_json(totals: Totals) -> dict[str, Any]:
    return {
        "steps": totals.steps,
        "errors": totals.errors,
        "tokens": tokens_json(totals.usage),
        "cost": totals.cost,
    }


def session_json(summary: SessionSummary) -> dict[str, Any]:
    """One session with its totals, as ``ls --json`` prints it and the API answers."""
    session = summary.session
    fork = session.forked_from
    return {
        "id": session.id,
        "name": session.name,
        "project": session.project,
        "status": str(session.status),
        "tags": list(session.tags),
        "metadata": dict(session.metadata),
        "started_at": iso_utc(session.started_at),
        "ended_at": iso_utc(session.ended_at),
        "duration_ms": _ms(session.duration_ns),
        "steps": summary.step_count,
        "errors": summary.error_count,
        "tokens": tokens_json(summary.usage),
        "cost": summary.cost,
        "forked_from": None if fork is None else {"session_id": fork.session_id, "step": fork.step},
        "error": error_json(session.error),
    }


def step_json(
    step: Step, *, depth: int | None = None, rollup: Totals | None = None
) -> dict[str, Any]:
    """One step without its payloads; ``depth`` and ``rollup`` when the caller knows them."""
    out: dict[str, Any] = {
        "number": step.number,
        "parent": step.parent_number,
        "span_id": step.span_id,
        "kind": str(step.kind),
        "name": step.name,
        "status": str(step.status),
        "started_at": iso_utc(step.started_at),
        "ended_at": iso_utc(step.ended_at),
        "duration_ms": _ms(step.duration_ns),
        "model": step.model,
        "tokens": tokens_json(step.usage),
        "cost": step.cost,
        "error": error_json(step.error),
        "attributes": dict(step.attributes),
        "input_ref": step.input_ref,
        "output_ref": step.output_ref,
    }
    if depth is not None:
        out["depth"] = depth
    if rollup is not None:
        out["rollup"] = totals_json(rollup)
    return out
