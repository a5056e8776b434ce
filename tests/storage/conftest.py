"""Fixtures for the store conformance suite.

``BACKENDS`` is the one place a backend joins the suite: every test that takes
the ``store`` fixture runs once per entry. An entry is a context manager that
sets up a fresh, empty place for one test and yields a function opening a
store on it (several stores opened by one test share the data).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentreel.storage import MemoryStore, PostgresStore, SQLiteStore, Store

from ._factories import Factory

Opener = Callable[[], Store]

#: The PostgreSQL server the suite uses; each test gets a schema of its own in it.
PG_URL = os.environ.get("AGENTREEL_TEST_PG", "postgresql://127.0.0.1:5432/test")
PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


@contextlib.contextmanager
def _memory(_tmp: Path) -> Iterator[Opener]:
    yield MemoryStore


@contextlib.contextmanager
def _sqlite(tmp: Path) -> Iterator[Opener]:
    # A real file: the suite exercises the same code paths a user's reel does.
    yield lambda: SQLiteStore(tmp / "reel.db")


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A new, empty schema in the test database; yields a URL whose search_path is it."""
    import psycopg

    schema = f"agentreel_test_{uuid.uuid4().hex[:16]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        problem = " ".join(str(exc).split())
    else:
        problem = ""
    if problem:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL} ({problem}); "
            f"the PostgreSQL store tests need it: start it with `{PG_START}`",
            pytrace=False,
        )
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}".encode())
        try:
            yield f"{PG_URL}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE".encode())


@contextlib.contextmanager
def _postgres(_tmp: Path) -> Iterator[Opener]:
    with pg_schema() as url:
        yield lambda: PostgresStore(url, pool_size=2)


BACKENDS: dict[str, Callable[[Path], contextlib.AbstractContextManager[Opener]]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "postgres": _postgres,
}


@pytest.fixture(params=sorted(BACKENDS))
def open_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Open (possibly several) stores of one backend; all closed at teardown."""
    opened: list[Store] = []
    with BACKENDS[request.param](tmp_path) as open_store:

        def opener() -> Store:
            store = open_store()
            opened.append(store)
            return store

        yield opener
        for store in opened:
            store.close()


@pytest.fixture
def store(open_backend: Opener) -> Store:
    return open_backend()


@pytest.fixture
def twins(store: Store, open_backend: Opener) -> tuple[Store, Store]:
    """Two stores on the same data, as two server processes would have.

    A memory store's data lives in its one object, so there it is the same
    store twice.
    """
    if isinstance(store, MemoryStore):
        return store, store
    return store, open_backend()


@pytest.fixture
def make() -> Factory:
    return Factory()
