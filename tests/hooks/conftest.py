"""Fixtures for hook tests: a real SQLite reel, and a clean hook manager per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.model import Step
from agentreel.storage import SQLiteStore


@dataclass(frozen=True, slots=True)
class Reel:
    path: Path

    def record(self, run: Callable[[], Any], name: str = "run") -> str:
        """Run ``run`` in a session recorded into the reel; return the session id."""
        agentreel.configure(db=self.path, flush_interval=0.05)
        try:
            with agentreel.session(name) as s:
                run()
        finally:
            hooks.get_manager().drain()
            agentreel.shutdown()
        return s.id

    def steps(self, session_id: str) -> list[Step]:
        store = SQLiteStore(self.path, create=False)
        try:
            return store.get_steps(session_id)
        finally:
            store.close()


@pytest.fixture(autouse=True)
def clean_hooks() -> Iterator[None]:
    hooks.reset()
    yield
    hooks.reset()
    agentreel.shutdown()


@pytest.fixture
def reel(tmp_path: Path) -> Reel:
    return Reel(tmp_path / "reel.db")
