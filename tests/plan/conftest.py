"""Fixtures for plan tests: a real SQLite reel, a clean hook manager, the CLI in-process."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

import agentreel
from agentreel import hooks
from agentreel.cli._app import cli
from agentreel.cli._context import CliContext
from agentreel.model import Step
from agentreel.storage import SQLiteStore, load_payload


@dataclass(frozen=True, slots=True)
class Reel:
    path: Path

    def record(self, run: Callable[[], Any], name: str = "run") -> str:
        """Run ``run`` in a session recorded into the reel; the session's id.

        An exception ``run`` raises is recorded on the session and kept from
        the test, which looks at the recording instead.
        """
        agentreel.configure(db=self.path, flush_interval=0.05)
        try:
            with agentreel.session(name) as s:
                run()
        except Exception:
            pass
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

    def payload(self, ref: str | None) -> Any:
        store = SQLiteStore(self.path, create=False)
        try:
            return None if ref is None else load_payload(store, ref)
        finally:
            store.close()

    def cli(self, *args: str) -> tuple[int, str, str]:
        """``agentreel --db REEL ARGS`` in-process: exit code, stdout, stderr."""
        out = Console(width=100, no_color=True, file=io.StringIO())
        err = Console(width=100, no_color=True, file=io.StringIO())
        obj = CliContext(db=str(self.path), console=out, err_console=err, tz=dt.UTC)
        result = CliRunner().invoke(cli, list(args), obj=obj, catch_exceptions=False)  # type: ignore[arg-type]
        assert isinstance(out.file, io.StringIO) and isinstance(err.file, io.StringIO)
        return result.exit_code, out.file.getvalue(), err.file.getvalue()


@pytest.fixture(autouse=True)
def clean_hooks() -> Iterator[None]:
    hooks.reset()
    yield
    hooks.reset()
    agentreel.shutdown()


@pytest.fixture
def reel(tmp_path: Path) -> Reel:
    return Reel(tmp_path / "reel.db")
