"""SQL text and parameter conversion for the PostgreSQL store.

Statements are bytes because psycopg wants queries it can tell are not built
from user input; every value travels as a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from agentreel.model import StepRow

from ._listing import Dialect
from ._rows import SESSION_COLUMNS, STEP_COLUMNS, upsert
from ._rules import BLOB_MARK, CHAIN_START, dump_attributes, dump_error

_SESSION_COLUMNS = ", ".join(SESSION_COLUMNS)
_STEP_COLUMNS = "session_id, " + ", ".join(STEP_COLUMNS)


def _q(sql: str) -> bytes:
    return sql.encode()


UPSERT_SESSION = _q(upsert("sessions", SESSION_COLUMNS, ("id",), {"tags": "%s::jsonb"}, mark="%s"))
UPSERT_STEP = _q(
    upsert("steps", ("session_id", *STEP_COLUMNS), ("session_id", "number"), mark="%s")
)
#: The PostgreSQL type of each session column, and of each step column.
_SESSION_TYPES = (*("text",) * 7, "int8", "int8", "text", "text", "int4", "text", "text")
_STEP_TYPES = (
    *("text", "int4", "text", "int4", "text", "text", "text", "text", "int8", "int8", "bytea"),
    *("text", "int8", "int8", "int8", "int8", "float8", "text", "text", "text"),
)


def _from_arrays(one_row: str, columns: tuple[str, ...], types: tuple[str, ...]) -> bytes:
    """The upsert ``one_row`` (from :func:`upsert`) for any number of rows,
    each column's values given as one binary array.

    A statement per row cost the client ~70,000 instructions a row in
    psycopg's pipeline (measured: writing ingested steps), and the server a
    third more than one statement for all of them. The rows are still
    upserted one after the other, so each meets the ON CONFLICT rule; the
    caller coalesces them first, as one statement may not update a row twice.
    """
    values = f"VALUES ({', '.join(['%s'] * len(columns))}) "
    if values not in one_row:
        raise AssertionError("the upsert no longer has the expected VALUES clause")
    arrays = ", ".join(f"%b::{t}[]" for t in types)
    picked = ", ".join(f"u.{c}::jsonb" if c == "tags" else f"u.{c}" for c in columns)
    rows = f"SELECT {picked} FROM unnest({arrays}) AS u ({', '.join(columns)}) "
    return one_row.replace(values, rows).encode()


UPSERT_SESSIONS = _from_arrays(
    upsert("sessions", SESSION_COLUMNS, ("id",), mark="%s"), SESSION_COLUMNS, _SESSION_TYPES
)
UPSERT_STEPS = _from_arrays(UPSERT_STEP.decode(), ("session_id", *STEP_COLUMNS), _STEP_TYPES)

#: All of a batch's blobs in one statement: agents send hundreds of small
#: message blobs per batch, and a round trip each dominated writing them.
#: Binary parameters (``%b``), because psycopg escapes every element of a
#: text array with a regular expression, which cost more than the insert.
INSERT_BLOBS = _q(
    "INSERT INTO blobs (digest, text, data) "
    "SELECT * FROM unnest(%b::text[], %b::text[], %b::bytea[]) "
    "ON CONFLICT (digest) DO NOTHING"
)
SELECT_BLOBS = _q("SELECT digest, text, data FROM blobs WHERE digest = ANY(%s)")

SELECT_STEPS = _q(
    f"SELECT {_STEP_COLUMNS} FROM steps WHERE session_id = %s AND number >= %s ORDER BY number"
)
SELECT_STEP = _q(f"SELECT {_STEP_COLUMNS} FROM steps WHERE session_id = %s AND number = %s")
STEP_RANGE = _q("SELECT COUNT(*), MAX(number) FROM steps WHERE session_id = %s")
#: At most the third parameter's count of steps (a page of the API's listing).
SELECT_STEP_PAGE = SELECT_STEPS + b" LIMIT %s"
#: Every step's number and parent number: all a step's depth in the tree needs.
STEP_PARENTS = _q("SELECT number, parent_number FROM steps WHERE session_id = %s ORDER BY number")
SESSION_EXISTS = _q("SELECT 1 FROM sessions WHERE id = %s")
SELECT_SESSION = _q(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = %s")
IDS_IN_RANGE = _q("SELECT id FROM sessions WHERE id >= %s AND id < %s ORDER BY id")
COUNT_SESSIONS = _q("SELECT COUNT(*) FROM sessions")

# Numbering. Each session numbered has a counter row, made if absent and
# locked (in id order, the order every transaction takes them in, so two
# never wait for each other) before anything of the session is read: what
# the transaction reads after the lock is what the previous holder committed.
NEW_COUNTERS = _q(
    "INSERT INTO step_counters (session_id, highest) "
    "SELECT id, 0 FROM unnest(%s::text[]) AS id ORDER BY id "
    "ON CONFLICT (session_id) DO NOTHING"
)
#: Each counter, locked. The statement reads nothing else (see EMPTY_COUNTERS).
LOCK_COUNTERS = _q(
    "SELECT session_id, highest FROM step_counters WHERE session_id = ANY(%s) "
    "ORDER BY session_id FOR UPDATE"
)
#: The locked sessions with neither numbers nor steps, which numbering need
#: not look up. A statement of its own, run after LOCK_COUNTERS: at READ
#: COMMITTED a statement that waited for a lock reads the locked row afresh
#: but everything else from the snapshot it took before waiting, so steps
#: the previous holder committed would look absent.
EMPTY_COUNTERS = _q(
    "SELECT c.session_id FROM step_counters AS c "
    "WHERE c.session_id = ANY(%s) AND c.highest = 0 "
    "AND NOT EXISTS (SELECT FROM steps AS s WHERE s.session_id = c.session_id)"
)
#: For (session id, span id) pairs (two arrays), rows of (session id,
#: source, span id, number): source 0, a number handed out before; 1, the
#: lowest number of a step with that span id; 2, the session's highest step
#: number (span id NULL). One statement for all the sessions of a request.
KNOWN_SPANS = _q(
    "WITH asked (session_id, span_id) AS (SELECT * FROM unnest(%b::text[], %b::text[])) "
    "SELECT a.session_id, 0, n.span_id, n.number FROM asked AS a "
    "JOIN span_numbers AS n ON n.session_id = a.session_id AND n.span_id = a.span_id "
    "UNION ALL "
    "SELECT a.session_id, 1, s.span_id, MIN(s.number) FROM asked AS a "
    "JOIN steps AS s ON s.session_id = a.session_id AND s.span_id = a.span_id "
    "GROUP BY a.session_id, s.span_id "
    "UNION ALL "
    "SELECT d.session_id, 2, NULL, "
    "(SELECT COALESCE(MAX(s.number), 0) FROM steps AS s WHERE s.session_id = d.session_id) "
    "FROM (SELECT DISTINCT session_id FROM asked) AS d"
)
#: Numbers handed out (three arrays: session ids, span ids, numbers) and the
#: sessions' new counters (two arrays: session ids, highest), in one statement.
RECORD_NUMBERS = _q(
    "WITH handed AS ("
    "INSERT INTO span_numbers (session_id, span_id, number) "
    "SELECT * FROM unnest(%b::text[], %b::text[], %b::int4[]) "
    "ON CONFLICT (session_id, span_id) DO NOTHING) "
    "UPDATE step_counters AS c SET highest = u.highest "
    "FROM unnest(%b::text[], %b::int4[]) AS u (session_id, highest) "
    "WHERE c.session_id = u.session_id"
)
SELECT_SESSIONS = _q(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ANY(%s)")

INSERT_API_KEY = _q(
    "INSERT INTO api_keys (id, project, name, secret_sha256, created_at) "
    "VALUES (%s, %s, %s, %s, %s)"
)
SELECT_API_KEY = _q(
    "SELECT project, secret_sha256 FROM api_keys WHERE id = %s AND revoked_at IS NULL"
)
REVOKE_API_KEY = _q("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, %s) WHERE id = %s")
LIST_API_KEYS = _q(
    "SELECT id, project, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id"
)

#: Payload search, for one session ``s``: walk from its steps' input and output
#: blobs through the blobs they refer to, and look for the lowercased needle
#: in each. The references in a blob are what follows each ``BLOB_MARK``
#: (the first parameter) and a chain's prefix, after ``CHAIN_START`` (the
#: second); see ``_rules.BLOB_REF``.
_PAYLOAD_MATCH = """EXISTS (
  WITH RECURSIVE reach(digest) AS (
    SELECT st.input_ref FROM steps AS st
    WHERE st.session_id = s.id AND st.input_ref IS NOT NULL
    UNION
    SELECT st.output_ref FROM steps AS st
    WHERE st.session_id = s.id AND st.output_ref IS NOT NULL
    UNION
    SELECT refs.digest FROM reach JOIN blobs AS b ON b.digest = reach.digest,
      LATERAL (
        SELECT left(x.part, 64) FROM unnest(string_to_array(b.text, %s)) WITH ORDINALITY
          AS x (part, i)
        WHERE x.i > 1
        UNION ALL
        SELECT substr(b.text, length(%s) + 1, 64) WHERE starts_with(b.text, %s)
      ) AS refs (digest)
  )
  SELECT 1 FROM reach JOIN blobs AS b ON b.digest = reach.digest
  WHERE strpos(lower(b.text), %s) > 0
)"""

DIALECT = Dialect(
    mark="%s",
    steps_join="LEFT JOIN steps AS st ON st.session_id = page.id",
    name_match="strpos(s.name_folded, %s) > 0",
    tag_match="s.tags @> jsonb_build_array(%s::text)",
    payload_match=_PAYLOAD_MATCH,
    payload_params=(BLOB_MARK, CHAIN_START, CHAIN_START),
    no_limit=None,
)


def step_params(rows: Iterable[StepRow]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        error = row.error
        yield (
            *row[:10],
            dump_attributes(row.attributes),
            *row[11:19],
            None if error is None else dump_error(error).decode(),  # type: ignore[union-attr]
        )


#: The Python types psycopg dumps as each PostgreSQL type, NULL included.
_PYTHON_TYPES: dict[str, frozenset[type]] = {
    "text": frozenset({str, type(None)}),
    "int4": frozenset({int, type(None)}),
    "int8": frozenset({int, type(None)}),
    "float8": frozenset({float, type(None)}),
    "bytea": frozenset({bytes}),
}
_NUMBERS = frozenset({int, float, type(None)})
_STEP_ALLOWED = tuple(_PYTHON_TYPES[t] for t in _STEP_TYPES)
_SESSION_ALLOWED = tuple(_PYTHON_TYPES[t] for t in _SESSION_TYPES)


def step_arrays(rows: Sequence[StepRow]) -> list[list[Any]] | None:
    """The parameters of :data:`UPSERT_STEPS`: each column of ``rows`` as a list.

    None when a column holds a value psycopg would not put in its array
    (a list's items must all be of one exact type: a ``str`` subclass, or
    an ``int`` cost among floats); such rows are written one by one
    (:func:`step_params`), as before.
    """
    columns = [list(column) for column in zip(*rows, strict=True)]
    attributes, costs, errors = columns[10], columns[16], columns[19]
    if set(map(type, attributes)) != {bytes}:
        columns[10] = [dump_attributes(a) for a in attributes]
    cost_types = set(map(type, costs))
    if int in cost_types and cost_types <= _NUMBERS:
        # PostgreSQL converts an int to double precision as float() does.
        columns[16] = [None if c is None else float(c) for c in costs]
    if any(e is not None for e in errors):
        columns[19] = [None if e is None else dump_error(e).decode() for e in errors]  # type: ignore[union-attr]
    return _checked(columns, _STEP_ALLOWED)


def session_arrays(params: Iterable[tuple[Any, ...]]) -> list[list[Any]] | None:
    """The parameters of :data:`UPSERT_SESSIONS`, as :func:`step_arrays`."""
    return _checked([list(column) for column in zip(*params, strict=True)], _SESSION_ALLOWED)


def _checked(
    columns: list[list[Any]], allowed: tuple[frozenset[type], ...]
) -> list[list[Any]] | None:
    for column, types in zip(columns, allowed, strict=True):
        if not types.issuperset(map(type, column)):
            return None
    return columns


def blob_params(blobs: Mapping[str, bytes]) -> tuple[list[str], list[str | None], list[Any]]:
    """The three arrays :data:`INSERT_BLOBS` takes, in digest order.

    Sorted, so that two transactions inserting the same blobs take their row
    locks in one order and cannot deadlock.
    """
    digests = sorted(blobs)
    texts = [_as_text(blobs[d]) for d in digests]
    data = [None if t is not None else bytes(blobs[d]) for d, t in zip(digests, texts, strict=True)]
    return digests, texts, data


def _as_text(data: bytes) -> str | None:
    # PostgreSQL text cannot hold NUL characters.
    if b"\x00" in data:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None


def blob_from(text: str | None, data: bytes | None) -> bytes:
    return text.encode() if text is not None else bytes(data or b"")


#: What a replay matches and serves by, for every step of a session in number
#: order (see ``SqlReads.get_replay_rows``).
SELECT_REPLAY_STEPS = _q(
    "SELECT number, parent_number, kind, name, status <> 'running', attributes, "
    "input_ref, output_ref, error FROM steps WHERE session_id = %s ORDER BY number"
)
