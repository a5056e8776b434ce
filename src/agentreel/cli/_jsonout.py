"""The machine-readable shapes that ``--json`` prints.

These shapes are a public interface (scripts parse them), documented in
docs/cli.md: add keys freely, never rename or remove one. Times are ISO 8601
in UTC, durations milliseconds, costs US dollars.
"""

from __future__ import annotations

from typing import Any

import orjson
from rich.console import Console

from agentreel._units import error_json, tokens_json
from agentreel.model import Session, SessionSummary, Step, Totals

from ._format import NS_PER_S, iso_utc

__all__ = [
    "error_json",
    "print_json",
    "session_json",
    "step_json",
    "tokens_json",
    "totals_json",
]


def print_json(console: Console, value: Any, *, indent: bool = True) -> None:
    """Print ``value`` as JSON, untouched by rich (no wrapping, markup or emoji)."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    console.out(orjson.dumps(value, option=option).decode(), highlight=False)


def _ms(ns: int | None) -> float | None:
    return None if ns is None else round(ns / (NS_PER_S / 1000), 3)


def totals_json(totals: Totals) -> dict[str, Any]:
    return {
        "steps": totals.steps,
        "errors": totals.errors,
        "tokens": tokens_json(totals.usage),
        "cost": totals.cost,
    }


def session_json(summary: SessionSummary) -> dict[str, Any]:
    """One session with its totals, as ``ls --json`` and ``show --json`` print it."""
    session: Session = summary.session
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
    """One step; ``depth`` and ``rollup`` are included when the caller knows them."""
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
