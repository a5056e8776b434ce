"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import agentreel


@pytest.fixture(autouse=True)
def _no_recorder_leaks() -> Iterator[None]:
    """Every test starts and ends with recording off."""
    agentreel.shutdown()
    yield
    agentreel.shutdown()
