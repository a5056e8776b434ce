"""Fixtures for replay tests: a real SQLite reel, and a way to record into it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel.storage import SQLiteStore, load_payload

from . import _agents


@dataclass(frozen=True, slots=True)
class Reel:
    """A reel database in a temporary directory."""

    path: Path

    def record(self, name: str, run: Callable[[], Any], **session: Any) -> str:
        """Run ``run`` inside a recorded session; return the session id."""
        agentreel.configure(db=self.path, flush_interval=0.05)
        try:
            with agentreel.session(name, **session) as s:
                run()
        finally:
            agentreel.shutdown()
        return s.id

    def reader(self) -> SQLiteStore:
        return SQLiteStore(self.path, create=False)

    def tree(self, session_id: str) -> list[tuple[int, str, str, int | None]]:
        """(number, kind, name, parent number) of every step, in number order."""
        with_reader = self.reader()
        try:
            return [
                (s.number, str(s.kind), s.name, s.parent_number)
                for s in with_reader.get_steps(session_id)
            ]
        finally:
            with_reader.close()

    def outputs(self, session_id: str) -> dict[int, Any]:
        store = self.reader()
        try:
            return {
                s.number: load_payload(store, s.output_ref) if s.output_ref else None
                for s in store.get_steps(session_id)
            }
        finally:
            store.close()


@pytest.fixture
def reel(tmp_path: Path) -> Reel:
    return Reel(tmp_path / "reel.db")


@pytest.fixture(autouse=True)
def _fresh_agents() -> Iterator[None]:
    _agents.reset()
    yield
    _agents.reset()
