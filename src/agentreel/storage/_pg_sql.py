"""SQL text and parameter conversion for the PostgreSQL store.

Statements are bytes because psycopg wants queries it can tell are not built
from user input; every value travels as a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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

# Numbering: the counter row is created if absent, then locked; everything
# the transaction reads after the lock is what the previous holder committed.
NEW_COUNTER = _q(
    "INSERT INTO step_counters (session_id, highest) VALUES (%s, 0) "
    "ON CONFLICT (session_id) DO NOTHING"
)
LOCK_COUNTER = _q("SELECT highest FROM step_counters WHERE session_id = %s FOR UPDATE")
HIGHEST_STEP = _q("SELECT COALESCE(MAX(number), 0) FROM steps WHERE session_id = %s")
#: A number handed out before wins over a step's; among steps, the lowest.
KNOWN_SPANS = _q(
    "SELECT DISTINCT ON (span_id) span_id, number FROM ("
    "SELECT span_id, number, 0 AS source FROM span_numbers "
    "WHERE session_id = %s AND span_id = ANY(%s) "
    "UNION ALL "
    "SELECT span_id, number, 1 FROM steps WHERE session_id = %s AND span_id = ANY(%s)"
    ") AS known ORDER BY span_id, source, number"
)
INSERT_SPAN_NUMBER = _q(
    "INSERT INTO span_numbers (session_id, span_id, number) VALUES (%s, %s, %s) "
    "ON CONFLICT (session_id, span_id) DO NOTHING"
)
SET_COUNTER = _q("UPDATE step_counters SET highest = %s WHERE session_id = %s")
#: Ingest's lock on every session of a request, taken before it reads them:
#: counters made if absent and locked in id order (the order every
#: transaction takes them in, so two never wait for each other).
NEW_COUNTERS = _q(
    "INSERT INTO step_counters (session_id, highest) "
    "SELECT id, 0 FROM unnest(%s::text[]) AS id ORDER BY id "
    "ON CONFLICT (session_id) DO NOTHING"
)
LOCK_COUNTERS = _q(
    "SELECT session_id, highest FROM step_counters WHERE session_id = ANY(%s) "
    "ORDER BY session_id FOR UPDATE"
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
