"""Fixtures for OTLP ingest: a real SQLite store and an SDK tracer provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentreel.storage import SQLiteStore

from ._otlp import Tracing


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "reel.db")
    yield s
    s.close()


@pytest.fixture
def tracing() -> Iterator[Tracing]:
    t = Tracing()
    yield t
    t.provider.shutdown()
