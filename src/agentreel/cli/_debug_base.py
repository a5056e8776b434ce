"""What every ``agentreel debug`` command stands on: the shell's state, the
way it prints, and the parsing of the small arguments commands take.

The commands themselves are split by what they do (``_debug_move`` moves the
cursor and sets breakpoints, ``_debug_look`` prints what is there) into mixins
of :class:`ShellBase`; ``_debug`` puts them together into the prompt.
Anything two of those modules need lives here, so that neither imports the
other.
"""

from __future__ import annotations

import cmd
from collections.abc import Sequence
from typing import IO

from rich.console import Console
from rich.text import Text

from agentreel.debugger import Stepper
from agentreel.diff import SessionDiff
from agentreel.model import Step

from ._context import CliContext
from ._format import format_cost, format_duration, format_tokens
from ._style import KIND_STYLE, STATUS_STYLE

__all__ = ["BadArgument", "ShellBase", "label", "needs_no_argument", "needs_number"]


class BadArgument(Exception):
    """A command was given an argument it cannot use."""


def label(step: Step) -> str:
    return f"#{step.number} {step.kind} {step.name}"


def needs_number(command: str, arg: str, example: str) -> int:
    text = arg.strip()
    if not text.isdigit():
        raise BadArgument(f"{command} needs a number, for example: {command} {example}")
    return int(text)


def needs_no_argument(command: str, arg: str) -> None:
    if arg.strip():
        raise BadArgument(f"{command} takes no argument")


class ShellBase(cmd.Cmd):
    """The prompt's state, and the way every command prints."""

    def __init__(self, stepper: Stepper, cli: CliContext, stdin: IO[str]) -> None:
        self.console: Console = cli.console
        super().__init__(stdin=stdin, stdout=self.console.file)
        self.stepper = stepper
        self.cli = cli
        self.use_rawinput = stdin.isatty() and self.console.file.isatty()
        self.failures = 0
        # The mixins have no constructors of their own (cmd.Cmd's does not
        # cooperate with one), so the state of `list` and `diff` starts here.
        self._listing: tuple[int, int] | None = None  # (listed around, next outline index)
        self._diffs: dict[str, SessionDiff] = {}
        self._update_prompt()

    def _say(self, text: str | Text = "", style: str = "") -> None:
        # Text, never markup: step names and payloads are recorded, hostile content.
        line = text if isinstance(text, Text) else Text(text, style=style)
        self.console.print(line, soft_wrap=True, highlight=False)

    def _rows(self, rows: Sequence[tuple[str, str | Text]]) -> None:
        width = max(len(key) for key, _ in rows)
        for key, value in rows:
            line = Text(f"{key:<{width}}  ", style="bold")
            self._say(line.append_text(value if isinstance(value, Text) else Text(value)))

    def _update_prompt(self) -> None:
        self.prompt = f"(agentreel {label(self.stepper.current)}) "

    def _announce(self, step: Step | None, nowhere: str = "") -> None:
        """Say where a move landed, or ``nowhere`` when it could not move."""
        if step is None:
            self._say(nowhere)
            return
        line = Text(f"> #{step.number} ")
        line.append(str(step.kind), style=KIND_STYLE[step.kind])
        line.append(f" {step.name}  ", style="bold")
        line.append(str(step.status), style=STATUS_STYLE[step.status])
        details = [format_duration(step.duration_ns)]
        if step.usage:
            details.append(f"{format_tokens(step.usage.total)} tokens")
        if step.cost:
            details.append(format_cost(step.cost))
        line.append(" · " + " · ".join(details), style="dim")
        if step.error is not None:
            line.append("  " + step.error.summary(), style="red")
        self._say(line)
