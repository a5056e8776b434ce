"""Fixtures for the seam tests: a real SQLite reel, and the stdlib left unpatched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._reel import Reel

from agentreel.determinism import unpatch


@pytest.fixture
def reel(tmp_path: Path) -> Reel:
    return Reel(tmp_path / "reel.db")


@pytest.fixture(autouse=True)
def _unpatched() -> Iterator[None]:
    """No test leaves time.time, random.random or uuid.uuid4 replaced."""
    unpatch()
    yield
    unpatch()
