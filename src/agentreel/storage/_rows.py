"""Rows of the SQL stores: the columns both keep, and conversion to and from the model.

SQLite and PostgreSQL keep sessions in the same columns with the same
encodings (JSON text for tags and metadata, JSON bytes for attributes), so a
row read from either turns into the same :class:`Session` or :class:`Step`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agentreel.model import ForkRef, Session, SessionSummary, Status, Step, StepRow, TokenUsage

from ._rules import dump_error, dump_json, load_error, load_json

SESSION_COLUMNS = (
    "id",
    "name",
    "name_folded",
    "project",
    "tags",
    "metadata",
    "status",
    "started_at",
    "ended_at",
    "error",
    "forked_from_session",
    "forked_from_step",
    "parent_span_id",
    "trace_id",
)
#: The columns of a step after the session it belongs to (its key or its id).
STEP_COLUMNS = (
    "number",
    "span_id",
    "parent_number",
    "parent_span_id",
    "kind",
    "name",
    "status",
    "started_at",
    "ended_at",
    "attributes",
    "model",
    "tokens_in",
    "tokens_out",
    "tokens_cached",
    "tokens_reasoning",
    "cost",
    "input_ref",
    "output_ref",
    "error",
)
_WIDTH = len(SESSION_COLUMNS)


def upsert(
    table: str,
    columns: Sequence[str],
    key: Sequence[str],
    values: Mapping[str, str] | None = None,
    *,
    mark: str = "?",
) -> str:
    """An upsert of one row by ``key``: each column's value is ``mark``, or its
    SQL in ``values``."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    given = ", ".join((values or {}).get(c, mark) for c in columns)
    # The WHERE clause is the store-wide rule: a running row never replaces a
    # finished one, so a late or repeated start cannot undo an end.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({given}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates} "
        f"WHERE excluded.status <> 'running' OR {table}.status = 'running'"
    )


def session_params(s: Session) -> tuple[Any, ...]:
    fork = s.forked_from
    error = dump_error(s.error)
    return (
        s.id,
        s.name,
        s.name.casefold(),
        s.project,
        dump_json(list(s.tags)).decode(),
        dump_json(s.metadata).decode(),
        str(s.status),
        s.started_at,
        s.ended_at,
        None if error is None else error.decode(),
        None if fork is None else fork.session_id,
        None if fork is None else fork.step,
        s.parent_span_id,
        s.trace_id,
    )


def session_from(r: Sequence[Any]) -> Session:
    return Session(
        id=r[0],
        name=r[1],
        project=r[3],
        tags=tuple(load_json(r[4])),
        metadata=load_json(r[5]),
        status=Status(r[6]),
        started_at=r[7],
        ended_at=r[8],
        error=load_error(r[9]),
        forked_from=None if r[10] is None else ForkRef(session_id=r[10], step=r[11]),
        parent_span_id=r[12],
        trace_id=r[13],
    )


def step_from(r: Sequence[Any]) -> Step:
    """A step from its session id followed by :data:`STEP_COLUMNS`."""
    return Step.from_row(StepRow._make((*r[:10], load_json(r[10]), *r[11:19], load_error(r[19]))))


def summary_from(r: Sequence[Any]) -> SessionSummary:
    """A summary from :data:`SESSION_COLUMNS` followed by the totals of ``_listing``."""
    count, errors, t_in, t_out, t_cached, t_reasoning, cost, last = r[_WIDTH:]
    return SessionSummary(
        session=session_from(r),
        step_count=count,
        error_count=errors,
        usage=TokenUsage(input=t_in, output=t_out, cached=t_cached, reasoning=t_reasoning),
        cost=cost,
        last_step_at=last,
    )
