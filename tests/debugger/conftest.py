"""Fixtures for the debugger tests: the demo's sessions and a hand-built one
(see ``_sessions``), each recorded once per test run into a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agentreel.debugger import Stepper
from agentreel.demo import run_demo
from agentreel.storage import SQLiteStore

from ._sessions import Reel, record_hand_session


@pytest.fixture(scope="session")
def demo_reel(tmp_path_factory: pytest.TempPathFactory) -> Reel:
    db = tmp_path_factory.mktemp("demo") / "reel.db"
    ids = run_demo(db)
    store = SQLiteStore(db, create=False)
    try:
        names = {store.get_session(i).name: i for i in ids}
    finally:
        store.close()
    return Reel(db, names)


@pytest.fixture(scope="session")
def hand_reel(tmp_path_factory: pytest.TempPathFactory) -> Reel:
    db = tmp_path_factory.mktemp("hand") / "reel.db"
    return Reel(db, {"hand-built": record_hand_session(db)})


@pytest.fixture
def open_stepper() -> Iterator[Any]:
    """``open_stepper(reel, name, **options)``: a Stepper on a fresh store, closed afterwards."""
    stores: list[SQLiteStore] = []

    def make(reel: Reel, name: str, **options: Any) -> Stepper:
        store = SQLiteStore(reel.db, create=False)
        stores.append(store)
        return Stepper.load(store, reel.ids[name], **options)

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def hand(hand_reel: Reel, open_stepper: Any) -> Stepper:
    return open_stepper(hand_reel, "hand-built")  # type: ignore[no-any-return]
