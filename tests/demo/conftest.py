"""The demo recorded once per module into a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentreel.demo import run_demo
from agentreel.storage import SQLiteStore

from ._read import Demo, read_sessions


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path = tmp_path_factory.mktemp("demo") / "reel.db"
    ids = run_demo(path)
    store = SQLiteStore(path, create=False)
    try:
        yield Demo(path=path, ids=ids, store=store, sessions=read_sessions(store, ids))
    finally:
        store.close()
