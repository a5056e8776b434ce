"""Rows of the SQL stores: the columns both keep, and conversion to and from the model.

SQLite and PostgreSQL keep sessions in the same columns with the same
encodings (JSON text for tags and metadata, JSON bytes for attributes), so a
row read from either turns into the same :class:`Session` or :class:`Step`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from agentreel.model import (
    NO_USAGE,
    ForkRef,
    Session,
    SessionSummary,
    Status,
    Step,
    StepKind,
    TokenUsage,
)

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


_KINDS = {k.value: k for k in StepKind}
_STATUSES = {s.value: s for s in Status}


def step_from(r: Sequence[Any]) -> Step:
    """A step from its session id followed by :data:`STEP_COLUMNS`.

    Built directly rather than through ``Step.from_row``: reports, replay and
    the detectors read every step of many sessions, and calling the enum
    classes and copying the attributes once more cost a third of each read.
    """
    tin, tout, cached, reasoning = r[12:16]
    kind, status = r[5], r[7]
    return Step(
        session_id=r[0],
        number=r[1],
        span_id=r[2],
        parent_number=r[3],
        parent_span_id=r[4],
        kind=_KINDS.get(kind) or StepKind(kind),
        name=r[6],
        status=_STATUSES.get(status) or Status(status),
        started_at=r[8],
        ended_at=r[9],
        attributes=load_json(r[10]),
        model=r[11],
        usage=TokenUsage(input=tin, output=tout, cached=cached, reasoning=reasoning)
        if tin or tout or cached or reasoning
        else NO_USAGE,
        cost=r[16],
        input_ref=r[17],
        output_ref=r[18],
        error=load_error(r[19]),
    )


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


K = TypeVar("K")
#: Per session: numbers handed out to span ids, numbers of the steps with those
#: span ids, and the highest step number so far.
Known = tuple[dict[str, int], dict[str, int], int]


def fold_known(rows: Iterable[Sequence[Any]], sessions: Iterable[K]) -> dict[K, Known]:
    """What a ``KNOWN_SPANS`` query answered, by session.

    Its rows are (session, source, span id, number): source 0 is a number
    handed out before, 1 a stored step's number, and 2 the session's highest
    number, which marks the session as known. The rows may come in any order
    (PostgreSQL does not keep the order of UNION ALL's branches), so a
    session's dicts are filled in place whichever row comes first.
    """
    handed: dict[K, dict[str, int]] = {key: {} for key in sessions}
    from_steps: dict[K, dict[str, int]] = {key: {} for key in handed}
    known: dict[K, Known] = {}
    for key, source, span_id, number in rows:
        if source == 0:
            handed[key][span_id] = number
        elif source == 1:
            from_steps[key][span_id] = number
        else:
            known[key] = (handed[key], from_steps[key], number)
    return known
