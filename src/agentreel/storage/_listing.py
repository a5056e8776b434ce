"""The listing query of the SQL stores, built once for both dialects.

``list_sessions`` is one statement: the filtered, ordered page of sessions
joined to the totals of their steps. Orderings by a session column page first
and total only that page; orderings by a total (steps, tokens, cost) must
total every matching session before they can page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._protocol import SessionFilter
from ._rows import SESSION_COLUMNS

_PAGE_COLUMNS = ", ".join(f"page.{c}" for c in SESSION_COLUMNS)

_TOTALS = (
    "COUNT(st.number)",
    "COUNT(st.number) FILTER (WHERE st.status = 'error')",
    "CAST(COALESCE(SUM(st.tokens_in), 0) AS BIGINT)",
    "CAST(COALESCE(SUM(st.tokens_out), 0) AS BIGINT)",
    "CAST(COALESCE(SUM(st.tokens_cached), 0) AS BIGINT)",
    "CAST(COALESCE(SUM(st.tokens_reasoning), 0) AS BIGINT)",
    "COALESCE(SUM(st.cost), 0.0)",
    "MAX(COALESCE(st.ended_at, st.started_at))",
)

#: Sort keys over a session's own columns (``s`` before paging, ``page`` after).
_COLUMN_KEYS = {
    "started": "{t}.started_at",
    "duration": "{t}.ended_at - {t}.started_at",
    "name": "{t}.name_folded",
}
#: Sort keys over totals, which exist only after the join to steps.
_TOTAL_KEYS = {
    "steps": "COUNT(st.number)",
    "tokens": "COALESCE(SUM(st.tokens_in), 0) + COALESCE(SUM(st.tokens_out), 0)",
    "cost": "COALESCE(SUM(st.cost), 0.0)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialect:
    """What differs between the SQL stores' listing queries.

    Each SQL fragment refers to the session row as ``s`` and uses ``mark``
    for its parameters, in the order of the method that fills it.
    """

    mark: str
    #: Joins ``steps AS st`` to the CTE row ``page``.
    steps_join: str
    #: True when one name case-fold substring ``needle`` is in ``s.name_folded``.
    name_match: str
    #: True when one tag is in ``s.tags``.
    tag_match: str
    #: True when the lowercased search needle is in a payload of the session's steps.
    payload_match: str
    #: Extra parameters ``payload_match`` takes after the needle.
    payload_params: tuple[Any, ...] = ()
    #: LIMIT's value for "no limit".
    no_limit: Any = None
    #: GROUP BY of the totals: every column of ``page`` unless the dialect
    #: lets the id alone stand for them (SQLite does, and it is faster).
    group_by: str = _PAGE_COLUMNS


def list_query(f: SessionFilter, d: Dialect) -> tuple[str, list[Any]]:
    """The statement and parameters of ``list_sessions(f)``."""
    m = d.mark
    where: list[str] = []
    params: list[Any] = []
    if f.name is not None:
        where.append(d.name_match)
        params.append(f.name.casefold())
    if f.text is not None:
        where.append(f"({d.name_match} OR {d.payload_match})")
        params += [f.text.casefold(), *d.payload_params, f.text.lower()]
    for tag in f.tags:
        where.append(d.tag_match)
        params.append(tag)
    if f.status is not None:
        where.append(f"s.status = {m}")
        params.append(str(f.status))
    if f.project is not None:
        where.append(f"s.project = {m}")
        params.append(f.project)
    if f.since is not None:
        where.append(f"s.started_at >= {m}")
        params.append(f.since)
    if f.until is not None:
        where.append(f"s.started_at < {m}")
        params.append(f.until)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    paging = [d.no_limit if f.limit is None else f.limit, f.offset]
    direction = "DESC" if f.descending else "ASC"
    column_key = _COLUMN_KEYS.get(f.order_by)
    if column_key is not None:
        inner = _order(column_key.format(t="s"), "s", direction)
        outer = _order(column_key.format(t="page"), "page", direction)
        page = f"SELECT * FROM sessions AS s {clause} {inner} LIMIT {m} OFFSET {m}"
        return _with_totals(page, d, outer), params + paging
    outer = _order(_TOTAL_KEYS[f.order_by], "page", direction)
    page = f"SELECT * FROM sessions AS s {clause}"
    return _with_totals(page, d, f"{outer} LIMIT {m} OFFSET {m}"), params + paging


def summary_query(session_id: str, d: Dialect) -> tuple[str, list[Any]]:
    """The statement and parameters of ``summarize(session_id)``."""
    page = f"SELECT * FROM sessions AS s WHERE s.id = {d.mark}"
    return _with_totals(page, d, ""), [session_id]


def _order(key: str, table: str, direction: str) -> str:
    # Sessions without a value (a duration while running) come last either way.
    return f"ORDER BY ({key}) IS NULL, {key} {direction}, {table}.id {direction}"


def _with_totals(page: str, d: Dialect, tail: str) -> str:
    return (
        f"WITH page AS ({page}) "
        f"SELECT {_PAGE_COLUMNS}, {', '.join(_TOTALS)} FROM page {d.steps_join} "
        f"GROUP BY {d.group_by} {tail}"
    )
