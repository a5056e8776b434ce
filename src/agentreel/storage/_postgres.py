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
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
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
from agentreel.model import Session

from . import _keys, _pg_schema, _pg_sql, _rows
from ._protocol import ApiKey, WriteBatch
from ._reads import SqlReads
from ._rules import coalesce_sessions, coalesce_steps, hex_prefix, not_json_safe, number_spans

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

    Connection = psycopg.Connection[tuple[Any, ...]]

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
        with self._transaction("writing to") as conn:
            _write(conn, batch)

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        """One transaction for ingest's read, numbering and write (see
        ``Transactional``): reading sessions locks their step counters, so
        another process's ingest of the same session waits for the commit."""
        with self._transaction("ingesting into") as conn:
            yield _Transaction(conn)

    def assign_step_numbers(self, session_id: str, span_ids: Sequence[str]) -> dict[str, int]:
        if not span_ids:
            return {}
        return self.assign_step_numbers_many({session_id: span_ids})[session_id]

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        """:meth:`assign_step_numbers` for several sessions, in one transaction.

        The sessions' counters are locked in id order, the same order in
        every transaction, so two of them never wait for each other.
        """
        asked = {sid: ids for sid, ids in span_ids.items() if ids}
        if not asked:
            return {}
        with self._transaction("numbering steps in") as conn:
            return {sid: self._number(conn, sid, asked[sid])[0] for sid in sorted(asked)}

    @staticmethod
    def _number(
        conn: Connection, session_id: str, span_ids: Sequence[str], counted: int | None = None
    ) -> tuple[dict[str, int], int]:
        """The numbers of ``span_ids``, and the session's counter after them.

        ``counted`` is the counter's value when this transaction holds its
        lock already (ingest's transaction locks every session it reads).
        """
        wanted = list(dict.fromkeys(span_ids))
        if counted is None:
            conn.execute(_pg_sql.NEW_COUNTER, (session_id,))
            ((counted,),) = conn.execute(_pg_sql.LOCK_COUNTER, (session_id,)).fetchall()
        ((written,),) = conn.execute(_pg_sql.HIGHEST_STEP, (session_id,)).fetchall()
        rows = conn.execute(_pg_sql.KNOWN_SPANS, (session_id, wanted, session_id, wanted))
        known: dict[str, int] = dict(rows.fetchall())
        highest = max(counted, written)
        numbers, new = number_spans(wanted, known, highest)
        if new:
            with conn.cursor() as cur:
                cur.executemany(_pg_sql.INSERT_SPAN_NUMBER, [(session_id, i, n) for i, n in new])
            highest = new[-1][1]
        if highest != counted:
            conn.execute(_pg_sql.SET_COUNTER, (highest, session_id))
        return numbers, highest

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
    sessions, steps, blobs = batch.sessions, batch.steps, batch.blobs
    with conn.cursor() as cur:
        if sessions:
            cur.executemany(
                _pg_sql.UPSERT_SESSION, map(_rows.session_params, coalesce_sessions(sessions))
            )
        if steps:
            cur.executemany(_pg_sql.UPSERT_STEP, _pg_sql.step_params(coalesce_steps(steps)))
        if blobs:
            cur.execute(_pg_sql.INSERT_BLOBS, _pg_sql.blob_params(blobs))


class _Transaction:
    """What ingest does in one transaction of a :class:`PostgresStore`."""

    __slots__ = ("_conn", "_counted")

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        #: The step counter of each session whose lock this transaction holds.
        self._counted: dict[str, int] = {}

    def get_sessions(self, session_ids: Collection[str]) -> dict[str, Session]:
        ids = sorted(set(session_ids))
        if not ids:
            return {}
        conn = self._conn
        # The sessions' counters are locked first: until this transaction
        # commits, no other one reads these sessions to merge them.
        conn.execute(_pg_sql.NEW_COUNTERS, (ids,))
        self._counted.update(conn.execute(_pg_sql.LOCK_COUNTERS, (ids,)).fetchall())
        rows = conn.execute(_pg_sql.SELECT_SESSIONS, (ids,)).fetchall()
        return {row[0]: _rows.session_from(row) for row in rows}

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        # In id order, as the store's own method does (see there).
        numbers = {}
        for sid in sorted(sid for sid, ids in span_ids.items() if ids):
            counted = self._counted.get(sid)
            numbers[sid], self._counted[sid] = PostgresStore._number(
                self._conn, sid, span_ids[sid], counted
            )
        return numbers

    def write(self, batch: WriteBatch) -> None:
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
