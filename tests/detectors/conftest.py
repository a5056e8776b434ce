"""The labelled corpus and the demo, each recorded once per test run into a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentreel.demo import run_demo
from agentreel.storage import SQLiteStore

from ._corpus import Corpus, Scores, build, score


@dataclass(frozen=True, slots=True)
class Measured:
    corpus: Corpus
    scores: Scores


@pytest.fixture(scope="session")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    corpus = build(tmp_path_factory.mktemp("corpus") / "reel.db")
    return Measured(corpus, score(corpus))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """An empty SQLite store for sessions a test writes itself."""
    opened = SQLiteStore(tmp_path / "reel.db")
    try:
        yield opened
    finally:
        opened.close()


@dataclass(frozen=True, slots=True)
class Demo:
    store: SQLiteStore
    ids: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path: Path = tmp_path_factory.mktemp("demo") / "reel.db"
    ids = run_demo(path)
    store = SQLiteStore(path, create=False)
    names = {store.get_session(i).name: i for i in ids}
    try:
        yield Demo(store, names)
    finally:
        store.close()
