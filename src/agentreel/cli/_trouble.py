"""Errors of the commands that exit 1 for a result and 2 for trouble.

`diff` (1: the sessions differ) and `replay` (1: the run diverged) use exit 1
for an answer, so their errors exit 2. They report them in the usual one line.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click
from rich.text import Text

from ._context import CliContext

__all__ = ["TROUBLE_EXIT", "fail"]

TROUBLE_EXIT = 2


class _Trouble(click.ClickException):
    """The command could not do its work; already reported in one line."""

    exit_code = TROUBLE_EXIT

    def show(self, file: Any = None) -> None:
        pass


def fail(cli: CliContext, message: str) -> NoReturn:
    """Print ``agentreel: error: message`` on one line and exit with TROUBLE_EXIT."""
    line = "agentreel: error: " + " ".join(message.splitlines())
    cli.err_console.print(Text(line), soft_wrap=True, highlight=False, markup=False)
    raise _Trouble(message)
