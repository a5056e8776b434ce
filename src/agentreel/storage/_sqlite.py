"""The SQLite store: the default local reel, one file in WAL mode.

One connection writes, guarded by a lock; every reading thread gets its own
connection. In WAL mode readers see the last committed transaction and never
wait for the writer, so a CLI or a web UI can follow a session while the
recorder is still writing it, from another thread or another process.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from agentreel.errors import AmbiguousId, StoreError, StoreUnavailable, UnknownSession
from agentreel.model import Session
from agentreel.storage import _keys, _rows, _sql
from agentreel.storage._migrations import migrate
from agentreel.storage._protocol import ApiKey, WriteBatch
from agentreel.storage._reads import SqlReads
from agentreel.storage._rules import (
    coalesce_sessions,
    hex_prefix,
    not_json_safe,
    number_spans,
)

#: How long a statement waits for another process's lock before failing.
BUSY_TIMEOUT_S = 5.0
#: How much of the database file a reading connection maps into memory.
READER_MMAP_BYTES = 256 * 1024 * 1024
#: Digests per ``IN (...)`` query; well under SQLite's parameter limit everywhere.
BLOB_CHUNK = 500

#: Session keys the store remembers before it forgets them all.
KEYS_CACHED = 100_000
#: The session id of a step row; its (session id, number, span id).
_SESSION_ID = itemgetter(0)
_NUMBERED = itemgetter(0, 1, 2)

#: Page size of new databases (measured: see the comment where it is set).
PAGE_SIZE = 32768


class SQLiteStore(SqlReads):
    """A reel kept in the SQLite file at ``path``.

    With ``create=False`` a missing file is an error instead of a new, empty
    database: reading commands use that, so a typo in a path is not silently
    answered with "no sessions".
    """

    _sql = _sql

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self.location = str(path)
        self._closed = False
        self._write_lock = threading.Lock()
        self._readers_lock = threading.Lock()
        # Weak, so that a thread's connection closes when the thread ends.
        self._readers: weakref.WeakSet[_Reader] = weakref.WeakSet()
        self._local = threading.local()
        self._keys: dict[str, int] = {}
        self._writer = self._open_writer(create)

    def __repr__(self) -> str:
        return f"SQLiteStore({self.location!r})"

    # -- opening ------------------------------------------------------------

    def _open_writer(self, create: bool) -> sqlite3.Connection:
        path = self.path
        if path.is_dir():
            raise StoreUnavailable(self.location, "it is a directory; give a database file path")
        if not path.exists():
            if not create:
                raise StoreUnavailable(
                    self.location,
                    "there is no reel database there; record a session "
                    "or run `agentreel demo` to create one",
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(
                    self.location, f"cannot create its directory ({exc.strerror})"
                ) from exc
        conn = self._connect("rwc" if create else "rw")
        try:
            _retry_while_busy(lambda: _prepare(conn, self.location))
        except sqlite3.Error as exc:
            conn.close()
            raise StoreUnavailable(self.location, _explain(exc)) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self, mode: str) -> sqlite3.Connection:
        uri = f"{self.path.absolute().as_uri()}?mode={mode}"
        try:
            conn = sqlite3.connect(
                uri,
                uri=True,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,  # we issue BEGIN and COMMIT ourselves
                check_same_thread=False,  # guarded by our own locks
            )
        except sqlite3.Error as exc:
            raise StoreUnavailable(self.location, _explain(exc)) from exc
        return conn

    def _reader(self) -> sqlite3.Connection:
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is not None and not self._closed:
            return reader.conn
        with self._readers_lock:
            if self._closed:
                raise self._closed_error()
            conn = self._connect("rw")
            conn.execute("PRAGMA query_only = ON")
            # Pages read through a memory map, not copied by read() into
            # SQLite's cache: reading payload blobs costs about half as much
            # (measured on the detectors benchmark). Readers only: writes keep
            # going through the pager.
            conn.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")
            _sql.register_functions(conn)
            reader = _Reader(conn)
            self._readers.add(reader)
        self._local.reader = reader
        return conn

    def _closed_error(self) -> StoreError:
        return StoreError(f"the store {self.location} is closed; open it again to use it")

    # -- writing ------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        with self._writing("writing to") as conn:
            self._write(conn, batch)

    def write_many(self, batches: Iterable[WriteBatch]) -> None:
        """Each of ``batches`` in turn, in one transaction (see ``WritesMany``)."""
        with self._writing("writing to") as conn:
            for batch in batches:
                self._write(conn, batch)

    def _write(self, conn: sqlite3.Connection, batch: WriteBatch) -> None:
        sessions, steps, blobs = batch.sessions, batch.steps, batch.blobs
        if sessions:
            conn.executemany(
                _sql.UPSERT_SESSION, map(_rows.session_params, coalesce_sessions(sessions))
            )
        if steps:
            keys = self._session_keys(conn, set(map(_SESSION_ID, steps)))
            # Not coalesced first, unlike sessions: the upsert applies the
            # store-wide rule row by row, in batch order, which gives what
            # coalesce_steps() would, and the recorder never puts a step
            # in a batch twice, so coalescing would only cost time.
            values = _sql.step_values(steps, keys)
            new = min(batch.new_steps, len(steps))
            inserted = 0
            if new:
                before = conn.total_changes
                inserted = new * _sql.STEP_WIDTH
                _execute_rows(conn, _sql.INSERT_STEPS, values, 0, inserted)
                if conn.total_changes - before != new:
                    inserted = 0  # a row was ignored: upsert them all, as if none were new
            _execute_rows(conn, _sql.UPSERT_STEPS, values, inserted, len(values))
        if blobs:
            conn.executemany(_sql.INSERT_BLOB, blobs.items())

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        """One write transaction for ingest's read, numbering and write (see
        ``Transactional``): ``BEGIN IMMEDIATE`` holds SQLite's write lock, so
        no other process writes between the read and the write."""
        with self._writing("ingesting into") as conn:
            tx = _Transaction(self, conn)
            yield tx
            tx.record_numbers()

    @contextmanager
    def _writing(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One write transaction on the writer connection, holding the write lock.

        ``BEGIN IMMEDIATE`` takes SQLite's write lock at once, so what the
        transaction reads stays true until it commits, in every process.
        """
        with self._write_lock:
            if self._closed:
                raise self._closed_error()
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    self._keys.clear()  # it may hold keys whose insert was rolled back
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(
                    f"{doing} {self.location} failed: {_explain(exc)}; nothing was stored"
                ) from exc
            except orjson.JSONEncodeError as exc:
                raise not_json_safe(self.location, exc) from exc

    def assign_step_numbers(self, session_id: str, span_ids: Sequence[str]) -> dict[str, int]:
        if not span_ids:
            return {}
        return self.assign_step_numbers_many({session_id: span_ids})[session_id]

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        """:meth:`assign_step_numbers` for several sessions, in one transaction.

        Ingest numbers the spans of every session of a request at once: a
        transaction each cost a commit each (16 per 512-span request).
        """
        if not any(span_ids.values()):
            return {}
        with self._writing("numbering steps in") as conn:
            return self._number_many(conn, span_ids)

    def _number_many(
        self,
        conn: sqlite3.Connection,
        span_ids: Mapping[str, Sequence[str]],
        pending: set[tuple[str, int, str]] | None = None,
    ) -> dict[str, dict[str, int]]:
        """Numbers, as :meth:`assign_step_numbers_many`, in at most three
        statements whatever the number of sessions; with ``pending``, the
        (session id, number, span id) entries to record are added to it
        instead of inserted (see ``_Transaction``)."""
        asked = {sid: list(dict.fromkeys(ids)) for sid, ids in span_ids.items() if ids}
        if not asked:
            return {}
        made = self._ensure_keys(conn, asked)
        keys = self._keys
        stored = {keys[sid]: sid for sid in asked if sid not in made}
        known = self._known(conn, {key: asked[sid] for key, sid in stored.items()})
        numbers: dict[str, dict[str, int]] = {}
        new: set[tuple[str, int, str]] = set() if pending is None else pending
        for sid, wanted in asked.items():
            if sid in made:
                # Nothing of a session whose key was just made is stored: its
                # spans are numbered from 1, in the order given.
                span_numbers = range(1, len(wanted) + 1)
                numbers[sid] = dict(zip(wanted, span_numbers, strict=True))
                new.update(zip(repeat(sid), span_numbers, wanted, strict=False))
                continue
            handed, from_steps, highest = known[keys[sid]]
            # A number handed out before wins over a step's.
            found = {i: n for i, n in from_steps.items() if i not in handed}
            numbers[sid], fresh = number_spans(wanted, handed | found, highest)
            # Spans found among the steps are recorded too, so the next
            # question about them is answered without reading the steps.
            fresh += found.items()
            new.update((sid, n, i) for i, n in fresh)
        if pending is None:
            self._record(conn, new)
        return numbers

    def _known(
        self, conn: sqlite3.Connection, span_ids: Mapping[int, list[str]]
    ) -> dict[int, tuple[dict[str, int], dict[str, int], int]]:
        """For each session key, the numbers handed out to ``span_ids``
        before, those of the steps with these span ids, and the highest
        number so far; one statement for all the sessions."""
        if not span_ids:
            return {}
        wanted = orjson.dumps(span_ids, option=orjson.OPT_NON_STR_KEYS).decode()
        return _rows.fold_known(conn.execute(_sql.KNOWN_SPANS, (wanted,)), span_ids)

    def _record(self, conn: sqlite3.Connection, entries: Collection[tuple[str, int, str]]) -> None:
        """Record numbers handed out, (session id, number, span id) each."""
        if entries:
            keys = self._session_keys(conn, {sid for sid, _, _ in entries})
            rows = [(keys[sid], span_id, number) for sid, number, span_id in entries]
            conn.executemany(_sql.INSERT_SPAN_NUMBER, rows)

    # -- API keys -----------------------------------------------------------

    def create_api_key(self, project: str, name: str) -> tuple[str, str]:
        new = _keys.new_key(project, name)
        key = new.key
        with self._writing("adding an API key to") as conn:
            conn.execute(
                _sql.INSERT_API_KEY,
                (key.id, key.project, key.name, new.secret_hash, key.created_at),
            )
        return key.id, new.secret

    def check_api_key(self, secret: str) -> str | None:
        key_id = _keys.key_id_of(secret)
        if key_id is None:
            return None
        rows = self._all(_sql.SELECT_API_KEY, (key_id,))
        if not rows or not _keys.secret_matches(secret, rows[0][1]):
            return None
        return str(rows[0][0])

    def revoke_api_key(self, key_id: str) -> bool:
        with self._writing("revoking an API key in") as conn:
            cursor = conn.execute(_sql.REVOKE_API_KEY, (time.time_ns(), key_id))
            return cursor.rowcount > 0

    def list_api_keys(self) -> list[ApiKey]:
        return [
            ApiKey(id=i, project=p, name=n, created_at=c, revoked_at=r)
            for i, p, n, c, r in self._all(_sql.LIST_API_KEYS)
        ]

    def _session_keys(
        self, conn: sqlite3.Connection, session_ids: Collection[str]
    ) -> dict[str, int]:
        """The integer key of each session (inside the write transaction)."""
        self._ensure_keys(conn, session_ids)
        return self._keys

    def _ensure_keys(self, conn: sqlite3.Connection, session_ids: Iterable[str]) -> Collection[str]:
        """Look up, or make, the keys of ``session_ids`` into the cache;
        returns the ids whose keys were made."""
        keys = self._keys
        # Cleared before the ids to look up are chosen: a key found cached
        # must still be there when the caller reads it.
        if len(keys) > KEYS_CACHED:
            keys.clear()  # a cache, not a registry: forgetting only costs a lookup
        missing = [i for i in session_ids if i not in keys]
        if not missing:
            return ()
        wanted = orjson.dumps(sorted(missing)).decode()
        made = dict(conn.execute(_sql.NEW_SESSION_KEYS, (wanted,)).fetchall())
        keys.update(made)
        if len(made) < len(missing):
            keys.update(conn.execute(_sql.SESSION_KEYS_IN, (wanted,)).fetchall())
        return made.keys()

    # -- reading ------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        conn = self._reader()
        try:
            yield conn
        except sqlite3.Error as exc:
            if self._closed:
                raise self._closed_error() from exc
            raise StoreError(f"reading {self.location} failed: {_explain(exc)}") from exc

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._reading() as conn:
            return conn.execute(sql, params).fetchall()

    def resolve_session_id(self, prefix: str) -> str:
        rows = self._all(_sql.SESSION_EXISTS, (prefix,))
        if rows:
            return prefix
        wanted = hex_prefix(prefix)
        if wanted is None:
            raise UnknownSession(prefix)
        # Ids are lowercase hex, so every id starting with ``wanted`` sorts in
        # [wanted, wanted + "g"): a range the primary key index answers.
        found = [i for (i,) in self._all(_sql.IDS_IN_RANGE, (wanted, wanted + "g"))]
        if not found:
            raise UnknownSession(prefix)
        if len(found) > 1:
            raise AmbiguousId(prefix, found)
        return str(found[0])

    def get_blobs(self, digests: Collection[str]) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(digests))
        found: dict[str, bytes] = {}
        for i in range(0, len(wanted), BLOB_CHUNK):
            chunk = wanted[i : i + BLOB_CHUNK]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT digest, bytes FROM blobs WHERE digest IN ({marks})"
            found.update(self._all(sql, chunk))
        return found

    def close(self) -> None:
        with self._write_lock, self._readers_lock:
            if self._closed:
                return
            self._closed = True
            self._writer.close()
            for reader in list(self._readers):
                reader.conn.close()
            self._readers.clear()


class _Transaction:
    """What ingest does in one write transaction of a :class:`SQLiteStore`.

    Numbers handed out are recorded in ``span_numbers`` only for spans whose
    step this transaction does not write (a parent that has not arrived):
    a written step is found by its span id among the steps, and skipping
    the row saved a tenth of ingest's time per span.
    """

    __slots__ = ("_conn", "_pending", "_store")

    def __init__(self, store: SQLiteStore, conn: sqlite3.Connection) -> None:
        self._store = store
        self._conn = conn
        #: (session id, number, span id) of each number handed out and not yet recorded.
        self._pending: set[tuple[str, int, str]] = set()

    def get_sessions(self, session_ids: Collection[str]) -> dict[str, Session]:
        # Read on the writer's connection: what this transaction reads is
        # what it will overwrite, with no commit of another process between.
        wanted = orjson.dumps(list(session_ids)).decode()
        rows = self._conn.execute(_sql.SELECT_SESSIONS_IN, (wanted,)).fetchall()
        return {row[0]: _rows.session_from(row) for row in rows}

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        # Numbering reads span_numbers: what was handed out before is recorded first.
        self.record_numbers()
        return self._store._number_many(self._conn, span_ids, self._pending)

    def write(self, batch: WriteBatch) -> None:
        self._store._write(self._conn, batch)
        if self._pending and batch.steps:
            # A step row starts with its session id, number and span id:
            # the numbers of the steps written need no row of their own.
            self._pending.difference_update(map(_NUMBERED, batch.steps))

    def record_numbers(self) -> None:
        """Record the numbers handed out to spans whose steps were not written."""
        if self._pending:
            self._store._record(self._conn, self._pending)
            self._pending = set()


class _Reader:
    """One thread's read connection, closed when the thread's locals go.

    A server that starts a thread per request would otherwise leave a
    connection (and its file descriptors) behind for every request.
    """

    __slots__ = ("__weakref__", "conn")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __del__(self) -> None:
        self.conn.close()


def _prepare(conn: sqlite3.Connection, location: str) -> None:
    # Only takes effect on a new file. Steps carry kilobytes of attributes,
    # and the cost of a write is mostly copying pages: measured on the
    # recording benchmark, 32 KiB pages take a third less CPU than 4 KiB ones
    # (fewer system calls per byte); larger pages gained nothing more.
    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    conn.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL loses no committed data when the program crashes,
    # only on power loss, and saves an fsync per transaction.
    conn.execute("PRAGMA synchronous = NORMAL")
    migrate(conn, location)


def _execute_rows(
    conn: sqlite3.Connection,
    statements: Sequence[tuple[int, str]],
    values: list[Any],
    start: int,
    stop: int,
) -> None:
    """Run ``statements`` (rows per statement, SQL) over the step rows whose
    flat parameters are ``values[start:stop]``: whole chunks of the largest
    size first, the rest in smaller ones."""
    done, left = start, stop - start
    for rows, sql in statements:
        width = rows * _sql.STEP_WIDTH
        count = left // width
        if count:
            end = done + count * width
            conn.executemany(sql, (values[i : i + width] for i in range(done, end, width)))
            done, left = end, left - count * width


def _retry_while_busy(setup: Callable[[], None]) -> None:
    """Run ``setup``, retrying while another connection holds the lock.

    Switching a new file to WAL needs an exclusive lock, and SQLite answers
    "database is locked" at once, without waiting for the busy timeout, when
    two connections race for it (as parallel test workers recording into a
    fresh reel do).
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            setup()
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "file is not a database" in text:
        return "the file is not a SQLite database; move it aside or choose another path"
    if "unable to open database file" in text:
        return "the file cannot be opened; check that it exists and that you may read it"
    if "readonly" in text:
        return "the file is read-only; agentreel needs to write to it"
    return text
