"""Fixtures for recording tests: a real SQLite reel in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import agentreel
from agentreel.storage import MemoryStore, SQLiteStore, Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reel.db"


@pytest.fixture
def recorded(db_path: Path) -> Iterator[Store]:
    """Recording into a SQLite file; yields a separate reader store on the same file."""
    agentreel.configure(db=db_path, flush_interval=0.05)
    reader = SQLiteStore(db_path)
    yield reader
    agentreel.shutdown()
    reader.close()


@pytest.fixture
def memory() -> Iterator[MemoryStore]:
    store = MemoryStore()
    agentreel.configure(store=store, flush_interval=0.05)
    yield store
    agentreel.shutdown()
