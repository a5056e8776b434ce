"""Fixtures for the seam tests: a real SQLite reel, and the stdlib left unpatched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel.determinism import unpatch
from agentreel.model import Step
from agentreel.storage import SQLiteStore


class Reel:
    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, run: Callable[[], Any], *, deterministic: bool = False, **config: Any) -> str:
        agentreel.configure(db=self.path, flush_interval=0.05, **config)
        try:
            with agentreel.session("seams", deterministic=deterministic) as s:
                run()
        finally:
            agentreel.shutdown()
        return s.id

    def steps(self, session_id: str) -> list[Step]:
        store = SQLiteStore(self.path, create=False)
        try:
            return store.get_steps(session_id)
        finally:
            store.close()


@pytest.fixture
def reel(tmp_path: Path) -> Reel:
    return Reel(tmp_path / "reel.db")


@pytest.fixture(autouse=True)
def _unpatched() -> Iterator[None]:
    """No test leaves time.time, random.random or uuid.uuid4 replaced."""
    unpatch()
    yield
    unpatch()
