"""What only the SQLite store does: files, processes, migrations, bad files."""

from __future__ import annotations

import gc
import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from agentreel.errors import SchemaTooNew, StoreError, StoreUnavailable, UnknownSession
from agentreel.model import Status, StepKind
from agentreel.storage import SQLiteStore, WriteBatch, _sqlite
from agentreel.storage._migrations import LATEST, MIGRATIONS, MIGRATIONS_TABLE

from ._factories import Factory


def _query(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Run one statement on ``db`` with a connection of our own, as another tool would."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "reel.db"


def test_reopening_a_file_keeps_its_data(db: Path, make: Factory) -> None:
    session = make.session(name="kept")
    rows = [make.row(session.id, n, attributes={"n": n}) for n in (1, 2)]
    blob = {"d" * 64: b"payload"}
    store = SQLiteStore(db)
    store.write(WriteBatch(sessions=[session], steps=rows, blobs=blob))
    store.close()

    again = SQLiteStore(db, create=False)
    try:
        assert again.get_session(session.id) == session
        assert [s.to_row() for s in again.get_steps(session.id)] == rows
        assert again.get_blobs(list(blob)) == blob
    finally:
        again.close()


def test_the_file_is_in_wal_mode_with_its_parent_directory_created(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested" / "deeper" / "reel.db"
    SQLiteStore(path).close()
    assert path.is_file()
    assert _query(path, "PRAGMA journal_mode") == [("wal",)]


def test_another_process_reads_what_was_committed(db: Path, make: Factory) -> None:
    store = SQLiteStore(db)
    session = make.session(name="seen from afar")
    store.write(WriteBatch(sessions=[session], steps=[make.row(session.id, n) for n in (1, 2, 3)]))
    # The writer stays open while the other process reads.
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from agentreel.storage import SQLiteStore\n"
        "s = SQLiteStore(Path(sys.argv[1]), create=False)\n"
        "sid = s.resolve_session_id(sys.argv[2][:8])\n"
        "print(json.dumps([s.get_session(sid).name, len(s.get_steps(sid))]))\n"
        "s.close()\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", script, str(db), session.id],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == ["seen from afar", 3]
        # And it keeps working for the writer afterwards.
        store.write(WriteBatch(steps=[make.row(session.id, 4)]))
        assert len(store.get_steps(session.id)) == 4
    finally:
        store.close()


def test_a_reader_thread_sees_commits_of_the_writer(db: Path, make: Factory) -> None:
    store = SQLiteStore(db)
    try:
        counts: list[int] = []
        reader = threading.Thread(target=lambda: counts.append(store.count_sessions()))
        reader.start()
        reader.join()
        store.write(WriteBatch(sessions=[make.session()]))
        # The same thread-local connection must not be stuck on an old snapshot.
        again = threading.Thread(
            target=lambda: counts.extend([store.count_sessions(), store.count_sessions()])
        )
        again.start()
        again.join()
        assert counts == [0, 1, 1]
    finally:
        store.close()


def test_a_thread_per_request_leaves_no_connections_behind(db: Path, make: Factory) -> None:
    store = SQLiteStore(db)
    try:
        store.write(WriteBatch(sessions=[make.session()]))
        store.count_sessions()
        before = psutil.Process().num_fds()
        for _ in range(40):
            t = threading.Thread(target=store.count_sessions)
            t.start()
            t.join()
        gc.collect()
        # Each leaked reader would hold the database and WAL files open.
        assert psutil.Process().num_fds() - before < 5
        assert store.count_sessions() == 1
    finally:
        store.close()


def test_create_false_on_a_missing_file(db: Path) -> None:
    with pytest.raises(StoreUnavailable) as info:
        SQLiteStore(db, create=False)
    assert info.value.location == str(db)
    assert "agentreel demo" in str(info.value)
    assert not db.exists()


def test_a_file_that_is_not_a_database(db: Path) -> None:
    garbage = b"these are not the bytes you are looking for\n" * 200
    db.write_bytes(garbage)
    with pytest.raises(StoreUnavailable) as info:
        SQLiteStore(db)
    assert "not a SQLite database" in info.value.reason
    assert not isinstance(info.value, sqlite3.Error)
    assert db.read_bytes() == garbage


def test_a_parent_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailable, match="cannot create its directory"):
        SQLiteStore(blocker / "reel.db")


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="directory"):
        SQLiteStore(tmp_path)


def test_someone_elses_sqlite_database_is_left_alone(db: Path) -> None:
    _query(db, "CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreUnavailable, match="not an agentreel"):
        SQLiteStore(db)
    assert _query(db, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("accounts",)]


def test_the_migrations_table_records_what_was_applied(db: Path) -> None:
    before = time.time_ns()
    SQLiteStore(db).close()
    SQLiteStore(db).close()  # reopening applies nothing twice
    rows = _query(db, f"SELECT version, name, applied_at FROM {MIGRATIONS_TABLE} ORDER BY version")
    assert [(v, n) for v, n, _ in rows] == [(m.version, m.name) for m in MIGRATIONS]
    assert all(before <= at <= time.time_ns() for _, _, at in rows)  # type: ignore[operator]
    assert rows[-1][0] == LATEST


def test_an_older_database_is_upgraded_in_place(db: Path, make: Factory) -> None:
    # A file as the first release wrote it: only migration 1 applied.
    first = MIGRATIONS[0]
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            f"CREATE TABLE {MIGRATIONS_TABLE} "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        for statement in first.statements:
            conn.execute(statement)
        conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (1, ?, 0)", (first.name,))
        conn.execute(
            "INSERT INTO sessions (id, name, name_folded, project, tags, metadata, status, "
            "started_at) VALUES (?, 'old run', 'old run', 'default', '[\"t\"]', '{}', 'ok', 5)",
            ("ab" * 16,),
        )
    conn.close()

    store = SQLiteStore(db)
    try:
        old = store.get_session("ab" * 16)
        assert (old.name, old.tags, old.status, old.trace_id) == (
            "old run",
            ("t",),
            Status.OK,
            None,
        )
        joined = make.session(trace_id="cd" * 16)
        store.write(WriteBatch(sessions=[joined]))
        assert store.get_session(joined.id) == joined
    finally:
        store.close()
    versions = _query(db, f"SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version")
    assert versions == [(m.version,) for m in MIGRATIONS]


def test_migration_versions_are_consecutive() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_a_newer_schema_is_refused(db: Path, make: Factory) -> None:
    SQLiteStore(db).close()
    _query(
        db,
        f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
        (LATEST + 1, "from the future", 0),
    )
    with pytest.raises(SchemaTooNew) as info:
        SQLiteStore(db)
    assert (info.value.found, info.value.supported) == (LATEST + 1, LATEST)
    assert "upgrade agentreel" in str(info.value)


def test_two_stores_creating_one_file_at_once(db: Path, make: Factory) -> None:
    stores: list[SQLiteStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(SQLiteStore(db))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        session = make.session()
        stores[0].write(WriteBatch(sessions=[session]))
        assert all(s.get_session(session.id) == session for s in stores)
    finally:
        for s in stores:
            s.close()
    assert _query(db, f"SELECT COUNT(*) FROM {MIGRATIONS_TABLE}") == [(len(MIGRATIONS),)]


def test_a_closed_store_says_so(db: Path, make: Factory) -> None:
    store = SQLiteStore(db)
    store.count_sessions()  # opens this thread's reader
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count_sessions()
    with pytest.raises(StoreError, match="closed"):
        store.write(WriteBatch(sessions=[make.session()]))
    store.close()


def test_a_blob_written_twice_is_one_row(db: Path) -> None:
    store = SQLiteStore(db)
    blobs = {"a" * 64: b"x" * 1000, "b" * 64: b"y"}
    store.write(WriteBatch(blobs=blobs))
    store.write(WriteBatch(blobs=blobs))
    store.close()
    assert _query(db, "SELECT COUNT(*), SUM(length(bytes)) FROM blobs") == [(2, 1001)]


def test_status_is_stored_as_plain_text(db: Path, make: Factory) -> None:
    # Other tools (sqlite3, datasette) read the file: values must be readable there.
    store = SQLiteStore(db)
    session = make.session(status=Status.OK)
    store.write(
        WriteBatch(sessions=[session], steps=[make.row(session.id, 1, attributes={"k": "v"})])
    )
    store.close()
    assert _query(db, "SELECT status FROM sessions") == [("ok",)]
    assert _query(db, "SELECT json_extract(attributes, '$.k') FROM steps") == [("v",)]


def test_every_kind_and_status_is_stored_as_its_text(db: Path, make: Factory) -> None:
    # Empty fields are bound as NaN, rows in chunks of many per statement:
    # the file must hold plain text and NULLs, in chunks and single rows alike.
    store = SQLiteStore(db)
    sid = make.session_id()
    pairs = [(kind, status) for kind in StepKind for status in Status] * 2
    rows = [
        make.row(sid, n, kind=kind, status=str(status), ended_at=None)
        for n, (kind, status) in enumerate(pairs, 1)
    ]
    store.write(WriteBatch(steps=rows))
    store.close()
    stored = _query(
        db,
        "SELECT kind, status, typeof(kind), typeof(status), typeof(ended_at), typeof(model), "
        "typeof(cost), typeof(parent_number) FROM steps ORDER BY number",
    )
    assert stored == [
        (str(kind), str(status), "text", "text", "null", "null", "null", "null")
        for kind, status in pairs
    ]


def test_numbering_when_the_session_key_cache_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache of session keys is cleared when full; a session found in it
    # just before must not be lost to the clearing.
    monkeypatch.setattr(_sqlite, "KEYS_CACHED", 2)
    store = SQLiteStore(tmp_path / "keys.db")
    try:
        for sid in ("a", "b", "c"):
            store.assign_step_numbers(sid, ["x"])
        got = store.assign_step_numbers_many({"a": ["x", "y"], "d": ["x"], "c": ["z"]})
        assert got == {"a": {"x": 1, "y": 2}, "d": {"x": 1}, "c": {"z": 2}}
    finally:
        store.close()


def test_write_many_commits_all_batches_or_none(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "reel.db")
    make = Factory()
    sid = make.session_id()
    made: list[int] = []

    def batches(bad_at: int | None) -> Iterator[WriteBatch]:
        for n in range(1, 4):
            made.append(n)  # each batch is made only when the store asks for it
            attributes: dict[str, Any] = {"n": n}
            if n == bad_at:
                attributes["bad"] = object()  # not JSON-safe: the write fails
            yield WriteBatch(steps=[make.row(sid, n, attributes=attributes)], new_steps=1)

    with pytest.raises(StoreError):
        store.write_many(batches(bad_at=3))
    assert made == [1, 2, 3]
    with pytest.raises(UnknownSession):
        store.get_steps(sid)  # the first two batches were rolled back with the third
    store.write_many(batches(bad_at=None))
    assert [s.attributes for s in store.get_steps(sid)] == [{"n": 1}, {"n": 2}, {"n": 3}]
    store.close()
