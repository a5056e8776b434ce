"""Fixtures for the reel file tests: real SQLite stores in files under tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentreel.storage import SQLiteStore

from ._sessions import Recorder

OpenStore = Callable[[], SQLiteStore]


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[OpenStore]:
    """Opens a new SQLite store file per call; all are closed at teardown."""
    opened: list[SQLiteStore] = []

    def opener() -> SQLiteStore:
        store = SQLiteStore(tmp_path / f"reel-{len(opened)}.db")
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def source(open_store: OpenStore) -> SQLiteStore:
    """The store sessions are exported from."""
    return open_store()


@pytest.fixture
def target(open_store: OpenStore) -> SQLiteStore:
    """An empty store to import into."""
    return open_store()


@pytest.fixture
def recorder(source: SQLiteStore) -> Recorder:
    return Recorder(source)
