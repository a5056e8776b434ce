"""The demo's three sessions, recorded once per module into a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentreel.demo import SCENARIOS, run_demo
from agentreel.storage import SQLiteStore


@dataclass(frozen=True, slots=True)
class Demo:
    path: Path
    store: SQLiteStore
    #: Session id by scenario name.
    ids: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path = tmp_path_factory.mktemp("demo") / "reel.db"
    ids = run_demo(path)
    store = SQLiteStore(path, create=False)
    try:
        yield Demo(path, store, {s.name: i for s, i in zip(SCENARIOS, ids, strict=True)})
    finally:
        store.close()
