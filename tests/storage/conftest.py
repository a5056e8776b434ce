"""Fixtures for the store conformance suite.

``BACKENDS`` is the one place a backend joins the suite: every test that takes
the ``store`` fixture runs once per entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentreel.storage import MemoryStore, SQLiteStore, Store

from ._factories import Factory

Opener = Callable[[Path], Store]

BACKENDS: dict[str, Opener] = {
    "memory": lambda _tmp: MemoryStore(),
    # A real file: the suite exercises the same code paths a user's reel does.
    "sqlite": lambda tmp: SQLiteStore(tmp / "reel.db"),
}


@pytest.fixture(params=sorted(BACKENDS))
def open_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Open (possibly several) stores of one backend; all closed at teardown."""
    opened: list[Store] = []

    def opener() -> Store:
        store = BACKENDS[request.param](tmp_path)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def store(open_backend: Callable[[], Store]) -> Store:
    return open_backend()


@pytest.fixture
def make() -> Factory:
    return Factory()
