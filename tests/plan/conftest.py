"""Fixtures for plan tests: a real SQLite reel, a clean hook manager, the CLI in-process."""

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
    # A plan test looks at how a failed run was recorded, not at its exception.
    return Reel(tmp_path / "reel.db", swallow=True)
