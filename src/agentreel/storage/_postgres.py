"""The PostgreSQL store: one reel shared by several server processes.

Every method takes a connection from a pool (psycopg 3 and psycopg_pool) and
does its work in one transaction, so what one process writes, every other
process reads once it is committed. Nothing lives only in this object: step
numbers and API keys are rows too.

psycopg is an optional dependency (``pip install 'agentreel[postgres]'``),
imported only when a store is opened.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from agentreel.errors import (
    AmbiguousId,
    ConfigurationError,
    StoreError,
    StoreUnavailable,
    UnknownSession,
)
from agentreel.model import Session, StepRow

from . import _keys, _pg_schema, _pg_sql, _rows
from ._protocol import ApiKey, WriteBatch
from ._reads import SqlReads
from ._rules import coalesce_sessions, coalesce_steps, hex_prefix, not_json_safe, number_spans

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

    Connection = psycopg.Connection[tuple[Any, ...]]

#: (session id, number, span id) of a step row.
_NUMBERED = itemgetter(0, 1, 2)

#: Connections each store keeps at most; a server process needs a few.
DEFAULT_POOL_SIZE = 5
#: How long opening waits for the server, and a method for a free connection.
CONNECT_TIMEOUT_S = 5.0
START_HINT = (
    "is PostgreSQL running? Start it with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
)


class PostgresStore(SqlReads):
    """A reel in the PostgreSQL database at ``dsn`` (a ``postgresql://`` URL).

    The tables live in the connection's current schema: put
    ``?options=-csearch_path%3DNAME`` in the URL to keep a reel in schema
    ``NAME``. Opening applies any migrations the schema lacks.
    """

    _sql = _pg_sql

    def _built(self, sql: str) -> bytes:
        return sql.encode()

    def __init__(self, dsn: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        if pool_size < 1:
            raise ConfigurationError(f"pool_size must be at least 1, not {pool_size}")
        psycopg, pool_module = _import_psycopg()
        self.dsn = dsn
        self.location = _redact(dsn)
        self._psycopg = psycopg
        try:
            with psycopg.connect(dsn, connect_timeout=int(CONNECT_TIMEOUT_S)) as conn:
                _pg_schema.migrate(conn, self.location)
        except psycopg.Error as exc:
            raise StoreUnavailable(self.location, _explain(exc)) from exc
        self._pool: psycopg_pool.ConnectionPool[Connection] = pool_module.ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            timeout=CONNECT_TIMEOUT_S,
            # Reads are single statements and need no BEGIN and COMMIT
            # around them; writes open a transaction of their own.
            kwargs={"autocommit": True},
            configure=_configure,
            open=False,
            name="agentreel",
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except pool_module.PoolTimeout as exc:
            self._pool.close()
            raise StoreUnavailable(self.location, START_HINT) from exc
        self._closed = False

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r})"

    @contextmanager
    def _transaction(self, doing: str, *, atomic: bool = True) -> Iterator[Connection]:
        """A pooled connection, in one transaction committed when the block
        ends unless ``atomic`` is False (a single statement)."""
        if self._closed:
            raise StoreError(f"the store {self.location} is closed; open it again to use it")
        psycopg = self._psycopg
        try:
            with self._pool.connection() as conn:
                if atomic:
                    with conn.transaction():
                        yield conn
                else:
                    yield conn
        except psycopg.OperationalError as exc:
            raise StoreError(f"{doing} {self.location} failed: {_explain(exc)}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"{doing} {self.location} failed: {exc}") from exc
        except orjson.JSONEncodeError as exc:
            raise not_json_safe(self.location, exc) from exc

    def _all(self, sql: bytes, params: Sequence[Any] = ()) -> list[Any]:
        with self._transaction("reading", atomic=False) as conn:
            return conn.execute(sql, params).fetchall()

    # -- writing ------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        with self._transaction("writing to") as conn, conn.pipeline():
            _write(conn, batch)

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        """One transaction for ingest's read, numbering and write (see
        ``Transactional``): reading sessions locks their step counters, so
        another process's ingest of the same session waits for the commit."""
        with self._transaction("ingesting into") as conn:
            tx = _Transaction(conn)
            yield tx
            tx.numbering.record()

    def assign_step_numbers(self, session_id: str, span_ids: Sequence[str]) -> dict[str, int]:
        if not span_ids:
            return {}
        return self.assign_step_numbers_many({session_id: span_ids})[session_id]

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        """:meth:`assign_step_numbers` for several sessions, in one transaction
        of as many round trips whatever the number of sessions."""
        if not any(span_ids.values()):
            return {}
        with self._transaction("numbering steps in") as conn:
            numbering = _Numbering(conn)
            numbering.lock([sid for sid, ids in span_ids.items() if ids])
            numbers = numbering.number(span_ids)
            numbering.record()
            return numbers

    # -- API keys -----------------------------------------------------------

    def create_api_key(self, project: str, name: str) -> tuple[str, str]:
        new = _keys.new_key(project, name)
        key = new.key
        with self._transaction("adding an API key to") as conn:
            conn.execute(
                _pg_sql.INSERT_API_KEY,
                (key.id, key.project, key.name, new.secret_hash, key.created_at),
            )
        return key.id, new.secret

    def check_api_key(self, secret: str) -> str | None:
        key_id = _keys.key_id_of(secret)
        if key_id is None:
            return None
        rows = self._all(_pg_sql.SELECT_API_KEY, (key_id,))
        if not rows or not _keys.secret_matches(secret, rows[0][1]):
            return None
        return str(rows[0][0])

    def revoke_api_key(self, key_id: str) -> bool:
        with self._transaction("revoking an API key in") as conn:
            return conn.execute(_pg_sql.REVOKE_API_KEY, (time.time_ns(), key_id)).rowcount > 0

    def list_api_keys(self) -> list[ApiKey]:
        return [
            ApiKey(id=i, project=p, name=n, created_at=c, revoked_at=r)
            for i, p, n, c, r in self._all(_pg_sql.LIST_API_KEYS)
        ]

    # -- reading ------------------------------------------------------------

    def resolve_session_id(self, prefix: str) -> str:
        if self._all(_pg_sql.SESSION_EXISTS, (prefix,)):
            return prefix
        wanted = hex_prefix(prefix)
        if wanted is None:
            raise UnknownSession(prefix)
        found = [i for (i,) in self._all(_pg_sql.IDS_IN_RANGE, (wanted, wanted + "g"))]
        if not found:
            raise UnknownSession(prefix)
        if len(found) > 1:
            raise AmbiguousId(prefix, found)
        return str(found[0])

    def get_blobs(self, digests: Collection[str]) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return {}
        rows = self._all(_pg_sql.SELECT_BLOBS, (wanted,))
        return {d: _pg_sql.blob_from(text, data) for d, text, data in rows}

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pool.close()


def _write(conn: Connection, batch: WriteBatch) -> None:
    """Queue the batch's statements (a caller's pipeline sends them at once)."""
    sessions, steps, blobs = batch.sessions, batch.steps, batch.blobs
    if sessions:
        params = list(map(_rows.session_params, coalesce_sessions(sessions)))
        arrays = _pg_sql.session_arrays(params)
        if arrays is None:
            with conn.cursor() as cur:
                cur.executemany(_pg_sql.UPSERT_SESSION, params)
        else:
            conn.execute(_pg_sql.UPSERT_SESSIONS, arrays)
    if steps:
        rows = list(coalesce_steps(steps))
        arrays = _pg_sql.step_arrays(rows)
        if arrays is None:
            with conn.cursor() as cur:
                cur.executemany(_pg_sql.UPSERT_STEP, _pg_sql.step_params(rows))
        else:
            conn.execute(_pg_sql.UPSERT_STEPS, arrays)
    if blobs:
        conn.execute(_pg_sql.INSERT_BLOBS, _pg_sql.blob_params(blobs))


class _Numbering:
    """Step numbers handed out in one transaction, and what they were read from.

    Numbers handed out are recorded in ``span_numbers`` only for spans whose
    step the transaction does not write (a parent that has not arrived): a
    written step is found by its span id among the steps, as on SQLite, and
    ingest writes a row less per span.
    """

    __slots__ = ("_conn", "_counted", "_empty", "_highest", "_pending")

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        #: The step counter of each session whose lock this transaction holds.
        self._counted: dict[str, int] = {}
        #: Locked sessions with neither numbers nor steps, as far as this
        #: transaction knows: their spans are numbered with no lookup.
        self._empty: set[str] = set()
        #: Counters to store: the highest number handed out in each session.
        self._highest: dict[str, int] = {}
        #: (session id, number, span id) of each number handed out and not yet recorded.
        self._pending: set[tuple[str, int, str]] = set()

    def holds(self, session_id: str) -> bool:
        """Whether this transaction holds the session's counter."""
        return session_id in self._counted

    def lock(self, session_ids: list[str], *, then: bytes | None = None) -> list[Any]:
        """Lock the sessions' counters, in id order, and read them; with
        ``then``, a statement on the sorted ids to run in the same round
        trip, whose rows are returned."""
        ids = sorted(set(session_ids))
        conn = self._conn
        with conn.pipeline():
            # What was handed out so far is stored first: the counters read
            # must not go back on it.
            self.record()
            conn.execute(_pg_sql.NEW_COUNTERS, (ids,))
            locked = conn.execute(_pg_sql.LOCK_COUNTERS, (ids,))
            # Queued after the lock, so it reads what the previous holder
            # committed; in the same round trip.
            empty = conn.execute(_pg_sql.EMPTY_COUNTERS, (ids,))
            after = None if then is None else conn.execute(then, (ids,))
        self._counted.update(locked.fetchall())
        self._empty.difference_update(ids)
        self._empty.update(sid for (sid,) in empty.fetchall())
        return [] if after is None else after.fetchall()

    def number(self, span_ids: Mapping[str, Sequence[str]]) -> dict[str, dict[str, int]]:
        """Numbers, as :meth:`PostgresStore.assign_step_numbers_many`, for
        sessions whose counters this transaction holds."""
        asked = {sid: list(dict.fromkeys(ids)) for sid, ids in span_ids.items() if ids}
        empty, counted = self._empty, self._counted
        stored = [sid for sid in sorted(asked) if sid not in empty]
        known = self._known({sid: asked[sid] for sid in stored}) if stored else {}
        numbers: dict[str, dict[str, int]] = {}
        for sid, wanted in asked.items():
            if sid in empty:
                span_numbers = range(1, len(wanted) + 1)
                numbers[sid] = dict(zip(wanted, span_numbers, strict=True))
                self._pending.update(zip(repeat(sid), span_numbers, wanted, strict=False))
                highest = len(wanted)
                empty.discard(sid)
            else:
                handed, from_steps, written = known[sid]
                # A number handed out before wins over a step's.
                found = {i: n for i, n in from_steps.items() if i not in handed}
                before = max(counted[sid], written)
                numbers[sid], new = number_spans(wanted, handed | found, before)
                # Spans found among the steps are recorded too, so the next
                # question about them is answered without reading the steps.
                self._pending.update((sid, n, i) for i, n in [*new, *found.items()])
                highest = new[-1][1] if new else before
            if highest != counted[sid]:
                counted[sid] = self._highest[sid] = highest
        return numbers

    def _known(
        self, span_ids: Mapping[str, list[str]]
    ) -> dict[str, tuple[dict[str, int], dict[str, int], int]]:
        """For each session, the numbers handed out to ``span_ids`` before,
        those of the steps with these span ids, and its highest step number;
        numbers handed out in this transaction are recorded first."""
        sids = [sid for sid, ids in span_ids.items() for _ in ids]
        spans = [span for ids in span_ids.values() for span in ids]
        with self._conn.pipeline():
            self.record()
            cursor = self._conn.execute(_pg_sql.KNOWN_SPANS, (sids, spans))
        return _rows.fold_known(cursor.fetchall(), span_ids)

    def written(self, rows: Iterable[StepRow]) -> None:
        """Steps the transaction writes: their numbers need no row of their own."""
        if self._pending:
            self._pending.difference_update(map(_NUMBERED, rows))
        # The sessions may have steps now.
        self._empty.clear()

    def record(self) -> None:
        """Queue the recording of the numbers handed out and the new counters."""
        pending, highest = self._pending, self._highest
        if not pending and not highest:
            return
        sids, numbers, spans = (
            (list(c) for c in zip(*pending, strict=True)) if pending else ([], [], [])
        )
        self._conn.execute(
            _pg_sql.RECORD_NUMBERS, (sids, spans, numbers, list(highest), list(highest.values()))
        )
        self._pending, self._highest = set(), {}


class _Transaction:
    """What ingest does in one transaction of a :class:`PostgresStore`: one
    round trip to read (and lock) the sessions, none or one to number their
    spans, one to write."""

    __slots__ = ("_conn", "numbering")

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.numbering = _Numbering(conn)

    def get_sessions(self, session_ids: Collection[str]) -> dict[str, Session]:
        if not session_ids:
            return {}
        # The sessions' counters are locked first: until this transaction
        # commits, no other one reads these sessions to merge them.
        rows = self.numbering.lock(list(session_ids), then=_pg_sql.SELECT_SESSIONS)
        return {row[0]: _rows.session_from(row) for row in rows}

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        numbering = self.numbering
        # Sessions the transaction did not read are locked now. Locks are
        # taken in id order within one call, but not across two: read every
        # session first (get_sessions, as ingest does) to keep two
        # transactions from waiting on each other.
        unlocked = [sid for sid, ids in span_ids.items() if ids and not numbering.holds(sid)]
        if unlocked:
            numbering.lock(unlocked)
        return numbering.number(span_ids)

    def write(self, batch: WriteBatch) -> None:
        if batch.steps:
            self.numbering.written(batch.steps)
        with self._conn.pipeline():
            self.numbering.record()
            _write(self._conn, batch)


def _import_psycopg() -> tuple[Any, Any]:
    try:
        import psycopg
        import psycopg_pool
    except ImportError as exc:
        raise ConfigurationError(
            "the PostgreSQL store needs psycopg: pip install 'agentreel[postgres]'"
        ) from exc
    return psycopg, psycopg_pool


def _configure(conn: Connection) -> None:
    # Tags are JSONB in the table; read them as the JSON text the shared row
    # conversion expects, as from SQLite.
    from psycopg.types.string import TextLoader

    conn.adapters.register_loader("jsonb", TextLoader)
    # The payload search is one recursive subquery per session, which the
    # planner costs high enough to compile with JIT: measured on 1,000
    # sessions, compiling took 1.6 s of a 2.2 s search. No query of ours runs
    # long enough to win that back.
    conn.execute(b"SET jit = off")


def _redact(dsn: str) -> str:
    """``dsn`` without its password, for messages."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _explain(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    if "connection" in text.lower() and ("refused" in text or "No such file" in text):
        return f"{text}; {START_HINT}"
    return text
