"""Running ``agentreel diff`` in-process with fixed-width, colourless consoles."""

from __future__ import annotations

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

    @property
    def text(self) -> str:
        """``out`` without the trailing spaces rich pads table cells with."""
        return "".join(line.rstrip() + "\n" for line in self.out.splitlines())


def _console(width: int) -> Console:
    return Console(width=width, no_color=True, file=io.StringIO())


def run_cli(db: Path | None, *args: str, width: int = 100) -> Run:
    console, err_console = _console(width), _console(width)
    obj = CliContext(db=None if db is None else str(db), console=console, err_console=err_console)
    result = CliRunner().invoke(cli, list(args), obj=obj, catch_exceptions=False)  # type: ignore[arg-type]
    assert isinstance(console.file, io.StringIO) and isinstance(err_console.file, io.StringIO)
    return Run(
        exit_code=result.exit_code,
        out=console.file.getvalue(),
        err=err_console.file.getvalue(),
        stderr=result.stderr,
    )
