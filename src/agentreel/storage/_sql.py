"""SQL text and row conversion for the SQLite store.

Statements are module constants so that sqlite3's statement cache prepares
each one once per connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from agentreel.model import ForkRef, Session, SessionSummary, Status, Step, StepRow, TokenUsage
from agentreel.storage._protocol import SessionFilter
from agentreel.storage._rules import dump_attributes, dump_error, dump_json, load_error, load_json

_SESSION_COLUMNS = (
    "id, name, name_folded, project, tags, metadata, status, started_at, ended_at, error, "
    "forked_from_session, forked_from_step, parent_span_id, trace_id"
)
_SESSION_WIDTH = _SESSION_COLUMNS.count(",") + 1
_STEP_COLUMNS = (
    "session_key, number, span_id, parent_number, parent_span_id, kind, name, status, "
    "started_at, ended_at, attributes, model, tokens_in, tokens_out, tokens_cached, "
    "tokens_reasoning, cost, input_ref, output_ref, error"
)


# Python's sqlite3 binds None about ten times slower than an int or a str (it
# looks for an adapter for NoneType on every call; 0.18 us against 0.02 us per
# value, measured), and a step row has up to eight empty fields. So the step
# upsert takes a sentinel for "empty" and turns it back into NULL in SQL:
# -1 for integers, "" for text, and NaN for the cost, which SQLite itself
# stores as NULL.
NO_INT = -1
NO_TEXT = ""
NO_REAL = float("nan")
_NULLABLE_STEP = {
    "parent_number": f"NULLIF(?, {NO_INT})",
    "ended_at": f"NULLIF(?, {NO_INT})",
    "parent_span_id": "NULLIF(?, '')",
    "model": "NULLIF(?, '')",
    "input_ref": "NULLIF(?, '')",
    "output_ref": "NULLIF(?, '')",
    "error": "NULLIF(?, '')",
}


def _upsert(table: str, columns: str, key: str, placeholders: dict[str, str] | None = None) -> str:
    names = [c.strip() for c in columns.split(",")]
    keys = {k.strip() for k in key.split(",")}
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keys)
    values = ", ".join((placeholders or {}).get(c, "?") for c in names)
    # The WHERE clause is the store-wide rule: a running row never replaces a
    # finished one, so a late or repeated start cannot undo an end.
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({values}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates} "
        f"WHERE excluded.status <> 'running' OR {table}.status = 'running'"
    )


UPSERT_SESSION = _upsert("sessions", _SESSION_COLUMNS, "id")
UPSERT_STEP = _upsert("steps", _STEP_COLUMNS, "session_key, number", _NULLABLE_STEP)
NEW_SESSION_KEY = "INSERT OR IGNORE INTO session_keys (id) VALUES (?)"
_READ_STEP_COLUMNS = "?1, " + _STEP_COLUMNS.split(", ", 1)[1]
_KEY_OF = "(SELECT key FROM session_keys WHERE id = ?1)"
INSERT_BLOB = "INSERT OR IGNORE INTO blobs (digest, bytes) VALUES (?, ?)"

SELECT_STEPS = (
    f"SELECT {_READ_STEP_COLUMNS} FROM steps "
    f"WHERE session_key = {_KEY_OF} AND number >= ?2 ORDER BY number"
)
SELECT_STEP = (
    f"SELECT {_READ_STEP_COLUMNS} FROM steps WHERE session_key = {_KEY_OF} AND number = ?2"
)
STEP_RANGE = f"SELECT COUNT(*), MAX(number) FROM steps WHERE session_key = {_KEY_OF}"
SESSION_EXISTS = "SELECT 1 FROM sessions WHERE id = ?"
SELECT_SESSION = f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?"
IDS_IN_RANGE = "SELECT id FROM sessions WHERE id >= ? AND id < ? ORDER BY id"
COUNT_SESSIONS = "SELECT COUNT(*) FROM sessions"

_PAGE_TOTALS = """
SELECT {columns},
       COUNT(st.number),
       COALESCE(SUM(st.status = 'error'), 0),
       COALESCE(SUM(st.tokens_in), 0),
       COALESCE(SUM(st.tokens_out), 0),
       COALESCE(SUM(st.tokens_cached), 0),
       COALESCE(SUM(st.tokens_reasoning), 0),
       TOTAL(st.cost),
       MAX(COALESCE(st.ended_at, st.started_at))
FROM page
LEFT JOIN session_keys AS k ON k.id = page.id
LEFT JOIN steps AS st ON st.session_key = k.key
GROUP BY page.id
ORDER BY page.started_at DESC, page.id DESC
""".format(columns=", ".join(f"page.{c.strip()}" for c in _SESSION_COLUMNS.split(",")))


def session_params(s: Session) -> tuple[Any, ...]:
    fork = s.forked_from
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
        _text(dump_error(s.error)),
        None if fork is None else fork.session_id,
        None if fork is None else fork.step,
        s.parent_span_id,
        s.trace_id,
    )


def step_params(rows: Iterable[StepRow], keys: Mapping[str, int]) -> Iterator[tuple[Any, ...]]:
    # The hot path of recording. A generator, so that sqlite3 binds and frees
    # each tuple before the next is built: a list of them would be counted by
    # the garbage collector and trigger collections in the host program.
    return (
        (keys[s], n, sp, NO_INT if pn is None else pn, ps or NO_TEXT, k, nm, st, sa,
         NO_INT if ea is None else ea,
         at if type(at) is bytes else dump_attributes(at), m or NO_TEXT, ti, to, tc, tr,
         NO_REAL if c is None else c, ir or NO_TEXT, o or NO_TEXT,
         NO_TEXT if e is None else dump_error(e).decode())  # type: ignore[union-attr]
        for (s, n, sp, pn, ps, k, nm, st, sa, ea, at, m, ti, to, tc, tr, c, ir, o, e) in rows
    )  # fmt: skip


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode()


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
    return Step.from_row(StepRow._make((*r[:10], load_json(r[10]), *r[11:19], load_error(r[19]))))


def summary_from(r: Sequence[Any]) -> SessionSummary:
    count, errors, t_in, t_out, t_cached, t_reasoning, cost, last = r[_SESSION_WIDTH:]
    return SessionSummary(
        session=session_from(r),
        step_count=count,
        error_count=errors,
        usage=TokenUsage(input=t_in, output=t_out, cached=t_cached, reasoning=t_reasoning),
        cost=cost,
        last_step_at=last,
    )


def list_query(f: SessionFilter) -> tuple[str, list[Any]]:
    """One statement: the filtered page of sessions joined to their step totals."""
    where: list[str] = []
    params: list[Any] = []
    if f.name is not None:
        where.append("instr(name_folded, ?) > 0")
        params.append(f.name.casefold())
    for tag in f.tags:
        where.append("EXISTS (SELECT 1 FROM json_each(sessions.tags) WHERE value = ?)")
        params.append(tag)
    if f.status is not None:
        where.append("status = ?")
        params.append(str(f.status))
    if f.project is not None:
        where.append("project = ?")
        params.append(f.project)
    if f.since is not None:
        where.append("started_at >= ?")
        params.append(f.since)
    if f.until is not None:
        where.append("started_at < ?")
        params.append(f.until)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    page = (
        f"WITH page AS (SELECT * FROM sessions {clause} "
        "ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?)"
    )
    params += [-1 if f.limit is None else f.limit, f.offset]
    return page + _PAGE_TOTALS, params


def summary_query(session_id: str) -> tuple[str, list[Any]]:
    return "WITH page AS (SELECT * FROM sessions WHERE id = ?)" + _PAGE_TOTALS, [session_id]
