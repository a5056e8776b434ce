"""Running ``agentreel debug`` and reading back what it printed, prompt by prompt."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from agentreel.cli._app import cli
from agentreel.cli._context import CliContext

AGENTREEL = Path(sys.executable).with_name("agentreel")
_PROMPT = re.compile(r"^\(agentreel (#\d+ \S+ .+?)\) (.*)$")


@dataclass(slots=True)
class Block:
    """What one command printed; ``at`` is the step its prompt showed."""

    at: str
    command: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def blocks(output: str) -> list[Block]:
    """Split a transcript at its prompts; block 0 holds what came before the first."""
    found = [Block(at="", command="")]
    for line in output.splitlines():
        match = _PROMPT.match(line)
        if match:
            found.append(Block(at=match.group(1), command=match.group(2)))
        else:
            found[-1].lines.append(line.rstrip())
    return found


def run_process(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``agentreel --db DB debug ARGS`` as a real process, ``stdin`` piped in."""
    env = {k: v for k, v in os.environ.items() if k not in ("AGENTREEL_DB", "FORCE_COLOR")}
    env.update(COLUMNS="200", NO_COLOR="1")
    return subprocess.run(
        [str(AGENTREEL), "--db", str(db), "debug", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@dataclass(frozen=True, slots=True)
class Run:
    exit_code: int
    out: str
    err: str


def run_inline(db: Path, *args: str, stdin: str = "", command: str = "debug") -> Run:
    """The same in this process, through injected consoles (fast, and colourless)."""
    console = Console(width=200, no_color=True, file=io.StringIO())
    err_console = Console(width=200, no_color=True, file=io.StringIO())
    obj = CliContext(
        db=str(db),
        console=console,
        err_console=err_console,
        clock=lambda: 1_900_000_000 * 10**9,
        tz=dt.UTC,
    )
    result = CliRunner().invoke(cli, [command, *args], input=stdin, obj=obj, catch_exceptions=False)  # type: ignore[arg-type]
    assert isinstance(console.file, io.StringIO)
    assert isinstance(err_console.file, io.StringIO)
    return Run(result.exit_code, console.file.getvalue(), err_console.file.getvalue())
