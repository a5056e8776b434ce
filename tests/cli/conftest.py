"""Fixtures for the CLI tests: a real SQLite reel and the CLI bound to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._reel import fix_session, live_session, notes_session, write_reel
from ._run import Invoke, Run, invoke_cli


@pytest.fixture
def reel(tmp_path: Path) -> Path:
    """A reel with three sessions: failed, older and ok, still running."""
    return write_reel(tmp_path / "reel.db", fix_session(), notes_session(), live_session())


@pytest.fixture
def invoke(reel: Path) -> Invoke:
    """Run the CLI against ``reel`` with fixed consoles, clock and zone (UTC)."""

    def run(*args: str, **extra: object) -> Run:
        return invoke_cli(reel, list(args), **extra)

    return run
