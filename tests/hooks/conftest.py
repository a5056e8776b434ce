"""Fixtures for hook tests: a real SQLite reel, and a clean hook manager per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests import _reel
from tests._reel import Reel


@pytest.fixture(autouse=True)
def clean_hooks() -> Iterator[None]:
    yield from _reel.clean_hooks()


@pytest.fixture
def reel(tmp_path: Path) -> Reel:
    return Reel(tmp_path / "reel.db")
