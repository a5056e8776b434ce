"""SQL text and parameter conversion for the SQLite store.

Statements are module constants so that sqlite3's statement cache prepares
each one once per connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from agentreel.model import StepRow
from agentreel.storage._listing import Dialect
from agentreel.storage._rows import SESSION_COLUMNS, STEP_COLUMNS, upsert
from agentreel.storage._rules import blob_refs, blob_text, dump_attributes, dump_error, dump_json

_SESSION_COLUMNS = ", ".join(SESSION_COLUMNS)
_STEP_COLUMNS = "session_key, " + ", ".join(STEP_COLUMNS)


# Python's sqlite3 binds an int, a float, a str or a bytearray directly, and
# anything else only after looking for an adapter: for None and for bytes that
# lookup fails by raising and clearing an AttributeError inside the sqlite3
# module, about ten times the cost of binding an int (measured). A step row has
# up to seven empty fields and always its attributes as bytes. So an empty
# field travels as a float NaN, which SQLite stores as NULL whatever the
# column (sqlite3_bind_double turns a NaN into NULL; no SQL function is
# called per field, as NULLIF(?, -1) was), and the attributes are bound as a
# bytearray, stored as the same BLOB.
NULL = float("nan")


UPSERT_SESSION = upsert("sessions", SESSION_COLUMNS, ("id",))
UPSERT_STEP = upsert("steps", ("session_key", *STEP_COLUMNS), ("session_key", "number"))
#: Parameters per row of :data:`UPSERT_STEPS`.
STEP_WIDTH = 1 + len(STEP_COLUMNS)


def _upsert_steps(rows: int) -> str:
    """:data:`UPSERT_STEP` for ``rows`` rows at once.

    Each execution of a statement costs sqlite3 and SQLite a fixed amount
    (resetting the statement, opening and closing its two cursors, halting
    it) that came to a sixth of upserting a recorded step (measured: 29,000
    instructions a row one by one, 24,500 in statements of 16 rows); a
    multi-row VALUES pays it once per ``rows`` rows. The rows are still
    inserted one after the other, each meeting the ON CONFLICT rule with what
    the rows before it left, so the outcome is the row-by-row one.
    """
    row = f"({', '.join('?' * STEP_WIDTH)})"
    one = f"VALUES {row} "
    if one not in UPSERT_STEP:
        raise AssertionError("UPSERT_STEP no longer has the expected VALUES clause")
    return UPSERT_STEP.replace(one, f"VALUES {', '.join([row] * rows)} ")


#: (rows per statement, statement), largest first: a batch is written as
#: whole chunks of the first size, then of the next, and so on. 32 rows bind
#: 640 parameters, under SQLite's oldest limit (999); larger chunks measured
#: no cheaper per row.
UPSERT_STEPS = tuple((n, _upsert_steps(n)) for n in (32, 8, 1))


def _insert_steps(rows: int) -> str:
    """Rows never written before, ``rows`` at a time, without the upsert rule.

    An upsert of several rows may fail halfway (its UPDATE can break a NOT
    NULL constraint), so SQLite keeps a statement journal to undo the half it
    did: a copy of every page the statement touches, 32 KiB each, which
    spills to a temporary file past 64 KiB. For the recording benchmark that
    was three times as many bytes as the steps themselves. An ``INSERT OR
    IGNORE`` cannot fail halfway and needs no such journal; a row it ignores
    (one that was there after all, or broke a constraint) shows in the count
    of changes, and the store then upserts the rows again (see ``_write``).
    """
    upsert = _upsert_steps(rows)
    return "INSERT OR IGNORE" + upsert[len("INSERT") : upsert.index(" ON CONFLICT ")]


#: :data:`UPSERT_STEPS` for rows never written before.
INSERT_STEPS = tuple((n, _insert_steps(n)) for n in (32, 8, 1))
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
#: At most ``?3`` steps from number ``?2`` (a page of the API's listing).
SELECT_STEP_PAGE = SELECT_STEPS + " LIMIT ?3"
#: Every step's number and parent number: all a step's depth in the tree needs.
STEP_PARENTS = (
    f"SELECT number, parent_number FROM steps WHERE session_key = {_KEY_OF} ORDER BY number"
)
SESSION_EXISTS = "SELECT 1 FROM sessions WHERE id = ?"
SELECT_SESSION = f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?"
IDS_IN_RANGE = "SELECT id FROM sessions WHERE id >= ? AND id < ? ORDER BY id"
COUNT_SESSIONS = "SELECT COUNT(*) FROM sessions"

INSERT_SPAN_NUMBER = "INSERT INTO span_numbers (session_key, span_id, number) VALUES (?, ?, ?)"
#: Keys for the session ids of the JSON array ``?`` that have none: the
#: (id, key) of each key made. A session whose key is made here has no steps
#: and no numbers yet (keys are never deleted, nor reused), so numbering its
#: spans needs no query.
NEW_SESSION_KEYS = (
    "INSERT OR IGNORE INTO session_keys (id) SELECT value FROM json_each(?) RETURNING id, key"
)
SESSION_KEYS_IN = "SELECT id, key FROM session_keys WHERE id IN (SELECT value FROM json_each(?))"
#: What numbering needs to know of sessions that have a key already, for all
#: of them in one statement: ``?`` is a JSON object from each session key to
#: the span ids asked about. Rows are (session key, source, span id, number):
#: source 0, a number handed out before (span_numbers); 1, the lowest number
#: of a step with that span id; 2, the session's highest number so far
#: (span id NULL). The steps table has no index by span id (one would cost
#: every recorded step another index insert, a third more time in the
#: store), so source 1 reads each such session's steps once.
KNOWN_SPANS = """
WITH asked (session_key, span_ids) AS (SELECT CAST(key AS INTEGER), value FROM json_each(?))
SELECT a.session_key, 0, n.span_id, n.number
FROM asked AS a CROSS JOIN json_each(a.span_ids) AS j CROSS JOIN span_numbers AS n
WHERE n.session_key = a.session_key AND n.span_id = j.value
UNION ALL
SELECT a.session_key, 1, s.span_id, MIN(s.number)
FROM asked AS a CROSS JOIN steps AS s
WHERE s.session_key = a.session_key AND s.span_id IN (SELECT value FROM json_each(a.span_ids))
GROUP BY a.session_key, s.span_id
UNION ALL
SELECT a.session_key, 2, NULL, MAX(
  COALESCE((SELECT MAX(number) FROM steps WHERE session_key = a.session_key), 0),
  COALESCE((SELECT MAX(number) FROM span_numbers WHERE session_key = a.session_key), 0)
)
FROM asked AS a
"""

INSERT_API_KEY = (
    "INSERT INTO api_keys (id, project, name, secret_sha256, created_at) VALUES (?, ?, ?, ?, ?)"
)
SELECT_API_KEY = "SELECT project, secret_sha256 FROM api_keys WHERE id = ? AND revoked_at IS NULL"
REVOKE_API_KEY = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?"
LIST_API_KEYS = (
    "SELECT id, project, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id"
)


def step_values(rows: Iterable[StepRow], keys: Mapping[str, int]) -> list[Any]:
    """The parameters of every row, one row after the other, in one flat list.

    The hot path of recording; :data:`UPSERT_STEPS` statements take slices of
    it. Not a list of tuples: the garbage collector counts every tuple alive
    and would run collections in the host program for a batch of them, while
    a list of ints, strings and bytearrays is one object to it. The
    attributes become a bytearray, which binds without an adapter lookup.
    """
    out: list[Any] = []
    for s, n, sp, pn, ps, k, nm, st, sa, ea, at, m, ti, to, tc, tr, c, ir, o, e in rows:
        out += (
            keys[s],
            n,
            sp,
            NULL if pn is None else pn,
            ps or NULL,
            k,
            nm,
            st,
            sa,
            NULL if ea is None else ea,
            bytearray(at if type(at) is bytes else dump_attributes(at)),
            m or NULL,
            ti,
            to,
            tc,
            tr,
            NULL if c is None else c,
            ir or NULL,
            o or NULL,
            NULL if e is None else dump_error(e).decode(),  # type: ignore[union-attr]
        )
    return out


#: Payload search, for one session ``s``: walk from its steps' input and output
#: blobs through the blobs they refer to, and look for the needle in each.
#: ``agentreel_refs`` and ``agentreel_contains`` are the Python functions
#: that every reading connection registers (see ``register_functions``).
_PAYLOAD_MATCH = """EXISTS (
  WITH RECURSIVE reach(digest) AS (
    SELECT st.input_ref FROM steps AS st
    WHERE st.session_key = (SELECT key FROM session_keys WHERE id = s.id)
      AND st.input_ref IS NOT NULL
    UNION
    SELECT st.output_ref FROM steps AS st
    WHERE st.session_key = (SELECT key FROM session_keys WHERE id = s.id)
      AND st.output_ref IS NOT NULL
    UNION
    SELECT r.value FROM reach JOIN blobs AS b ON b.digest = reach.digest,
      json_each(agentreel_refs(b.bytes)) AS r
  )
  SELECT 1 FROM reach JOIN blobs AS b ON b.digest = reach.digest
  WHERE agentreel_contains(b.bytes, ?)
)"""

DIALECT = Dialect(
    mark="?",
    steps_join=(
        "LEFT JOIN session_keys AS k ON k.id = page.id "
        "LEFT JOIN steps AS st ON st.session_key = k.key"
    ),
    name_match="instr(s.name_folded, ?) > 0",
    tag_match="EXISTS (SELECT 1 FROM json_each(s.tags) WHERE value = ?)",
    payload_match=_PAYLOAD_MATCH,
    no_limit=-1,
    group_by="page.id",
)


def register_functions(conn: sqlite3.Connection) -> None:
    """The functions the payload search calls, on one connection."""
    conn.create_function("agentreel_refs", 1, _refs, deterministic=True)
    conn.create_function("agentreel_contains", 2, _contains, deterministic=True)


def _refs(data: bytes | None) -> str:
    return "[]" if data is None else dump_json(blob_refs(data)).decode()


def _contains(data: bytes | None, needle: str) -> bool:
    return data is not None and needle in blob_text(data)


#: The sessions whose ids are in the JSON array ``?`` (ingest, in its write transaction).
SELECT_SESSIONS_IN = (
    f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id IN (SELECT value FROM json_each(?))"
)

#: What a replay matches and serves by, for every step of session ``?1`` in
#: number order (see ``SqlReads.get_replay_rows``): a third of the columns of
#: :data:`SELECT_STEPS`, and the status as whether the step ended.
SELECT_REPLAY_STEPS = (
    "SELECT number, parent_number, kind, name, status <> 'running', attributes, "
    f"input_ref, output_ref, error FROM steps WHERE session_key = {_KEY_OF} ORDER BY number"
)
