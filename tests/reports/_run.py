"""Running the CLI in-process with fixed-width, colourless consoles and a fixed clock."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from agentreel.cli._app import cli
from agentreel.cli._context import CliContext


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    exit_code: int
    out: str
    err: str
    stderr: str


def _console() -> Console:
    return Console(width=100, no_color=True, file=io.StringIO())


def run_cli(db: Path, *args: str, now: int) -> Run:
    console, err_console = _console(), _console()
    obj = CliContext(
        db=str(db), console=console, err_console=err_console, clock=lambda: now, tz=dt.UTC
    )
    result = CliRunner().invoke(cli, list(args), obj=obj, catch_exceptions=False)  # type: ignore[arg-type]
    assert isinstance(console.file, io.StringIO) and isinstance(err_console.file, io.StringIO)
    return Run(
        exit_code=result.exit_code,
        out=console.file.getvalue(),
        err=err_console.file.getvalue(),
        stderr=result.stderr,
    )
