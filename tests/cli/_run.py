"""Running the CLI in-process with fixed consoles, clock and zone."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from agentreel.cli._app import cli
from agentreel.cli._context import CliContext

from ._reel import NOW


def tidy(text: str) -> str:
    """``text`` without trailing spaces on its lines.

    rich pads table cells to their column's width; expected output written in
    a test file cannot keep trailing spaces (editors strip them).
    """
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One invocation: ``out``/``err`` went through the injected consoles,
    ``stdout``/``stderr`` straight to the streams (click's own messages)."""

    exit_code: int
    out: str
    err: str
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return tidy(self.out)


Invoke = Callable[..., Run]


def make_console(width: int = 120) -> Console:
    return Console(width=width, no_color=True, record=True, file=io.StringIO())


def invoke_cli(db: Path | str | None, args: list[str], *, width: int = 120, **extra: object) -> Run:
    console, err_console = make_console(width), make_console(width)
    obj = CliContext(
        db=None if db is None else str(db),
        console=console,
        err_console=err_console,
        clock=lambda: NOW,
        tz=dt.UTC,
    )
    result = CliRunner().invoke(cli, args, obj=obj, catch_exceptions=False, **extra)  # type: ignore[arg-type]
    assert isinstance(console.file, io.StringIO)
    assert isinstance(err_console.file, io.StringIO)
    return Run(
        exit_code=result.exit_code,
        out=console.file.getvalue(),
        err=err_console.file.getvalue(),
        stdout=result.stdout,
        stderr=result.stderr,
    )
