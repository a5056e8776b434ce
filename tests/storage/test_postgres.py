"""What only the PostgreSQL store does: URLs, migrations, several processes, failures."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from agentreel.errors import ConfigurationError, SchemaTooNew, StoreUnavailable
from agentreel.storage import PostgresStore, WriteBatch, open_store
from agentreel.storage._migrations import MIGRATIONS_TABLE
from agentreel.storage._pg_schema import LATEST, MIGRATIONS

from ._factories import Factory
from .conftest import pg_schema

PROCESSES = 2
CALLS = 20


@pytest.fixture
def url() -> Iterator[str]:
    with pg_schema() as url:
        yield url


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    """One statement with a connection of our own, as another tool would."""
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql.encode())
        return cursor.fetchall() if cursor.description else []


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_open_store_takes_a_postgres_url(url: str, scheme: str, make: Factory) -> None:
    store = open_store(url.replace("postgresql", scheme, 1))
    try:
        assert isinstance(store, PostgresStore)
        store.write(WriteBatch(sessions=[make.session(name="by url")]))
        assert [s.session.name for s in store.list_sessions()] == ["by url"]
    finally:
        store.close()


def test_two_stores_see_each_others_writes(url: str, make: Factory) -> None:
    one, two = PostgresStore(url), PostgresStore(url, pool_size=1)
    try:
        session = make.session(name="shared")
        one.write(WriteBatch(sessions=[session], steps=[make.row(session.id, 1)]))
        assert two.get_session(session.id) == session
        two.write(WriteBatch(steps=[make.row(session.id, 2)], blobs={"d" * 64: b"x"}))
        assert [s.number for s in one.get_steps(session.id)] == [1, 2]
        assert one.get_blobs(["d" * 64]) == {"d" * 64: b"x"}
        assert one.summarize(session.id).step_count == 2
    finally:
        one.close()
        two.close()


def test_server_processes_number_spans_without_collisions(url: str, make: Factory) -> None:
    """Real processes, each with its own store, numbering one session at once."""
    sid = make.session_id()
    script = (
        "import json, sys\n"
        "from agentreel.storage import PostgresStore\n"
        "store = PostgresStore(sys.argv[1], pool_size=1)\n"
        "me, calls = sys.argv[3], int(sys.argv[4])\n"
        "got = {}\n"
        "for c in range(calls):\n"
        "    got.update(store.assign_step_numbers(sys.argv[2], [f'{me}-{c}-a', f'{me}-{c}-b', "
        "f'shared-{c}']))\n"
        "store.close()\n"
        "print(json.dumps(got))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, sid, f"p{p}", str(CALLS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(PROCESSES)
    ]
    by_span: dict[str, int] = {}
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        for span, number in json.loads(out).items():
            assert by_span.setdefault(span, number) == number  # one number per span
    total = PROCESSES * CALLS * 2 + CALLS
    assert sorted(by_span.values()) == list(range(1, total + 1))


def test_threads_of_two_stores_number_without_collisions(url: str) -> None:
    stores = [PostgresStore(url, pool_size=2) for _ in range(2)]
    got: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for c in range(10):
                got.append(stores[t % 2].assign_step_numbers("s" * 32, [f"{t}-{c}", "common"]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        for store in stores:
            store.close()
    assert errors == []
    numbers = {span: n for result in got for span, n in result.items()}
    assert sorted(numbers.values()) == list(range(1, 42))
    assert {result["common"] for result in got} == {numbers["common"]}


def test_the_migrations_table_records_what_was_applied(url: str) -> None:
    before = time.time_ns()
    PostgresStore(url).close()
    PostgresStore(url).close()  # reopening applies nothing twice
    rows = _query(url, f"SELECT version, name, applied_at FROM {MIGRATIONS_TABLE} ORDER BY 1")
    assert [(v, n) for v, n, _ in rows] == [(m.version, m.name) for m in MIGRATIONS]
    assert all(before <= at <= time.time_ns() for _, _, at in rows)  # type: ignore[operator]
    assert rows[-1][0] == LATEST


def test_the_schema_has_its_indexes(url: str) -> None:
    PostgresStore(url).close()
    names = {
        n
        for (n,) in _query(
            url, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        )
    }
    assert {
        "sessions_by_start",
        "sessions_by_project",
        "sessions_by_tags",
        "steps_by_span",
    } <= names


def test_a_newer_schema_is_refused(url: str) -> None:
    PostgresStore(url).close()
    _query(url, f"INSERT INTO {MIGRATIONS_TABLE} VALUES ({LATEST + 1}, 'future', 0)")
    with pytest.raises(SchemaTooNew) as info:
        PostgresStore(url)
    assert (info.value.found, info.value.supported) == (LATEST + 1, LATEST)


def test_someone_elses_schema_is_left_alone(url: str) -> None:
    _query(url, "CREATE TABLE sessions (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreUnavailable, match="not an agentreel reel"):
        PostgresStore(url)
    tables = _query(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    assert tables == [("sessions",)]


def test_an_unreachable_server_says_how_to_start_it() -> None:
    # Port 1 on the loopback: nothing listens there.
    with pytest.raises(StoreUnavailable, match="pg_ctlcluster") as info:
        PostgresStore("postgresql://agent:s3cret@127.0.0.1:1/test")
    # The password never appears in messages.
    assert "s3cret" not in str(info.value)
    assert info.value.location == "postgresql://agent:***@127.0.0.1:1/test"


def test_without_psycopg_the_hint_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # The one mock: an interpreter without the optional dependency.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'agentreel\[postgres\]'"):
        open_store("postgresql://127.0.0.1:5432/test")


def test_closing_twice_is_fine_and_a_closed_store_says_so(url: str) -> None:
    store = PostgresStore(url)
    store.close()
    store.close()
    with pytest.raises(Exception, match="is closed"):
        store.count_sessions()


def test_a_bad_pool_size_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="pool_size"):
        PostgresStore(url, pool_size=0)
