"""Errors of the commands that exit 1 for a result and 2 for trouble.

`diff` (1: the sessions differ) and `replay` (1: the run diverged) use exit 1
for an answer, so their errors exit 2. They report them in the usual one line.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Any, NoReturn

import click
from rich.text import Text

from agentreel.errors import AgentreelError

from ._context import CliContext

__all__ = ["EXPECTED", "TROUBLE_EXIT", "fail", "fail_on", "sentence"]

TROUBLE_EXIT = 2
#: Failures every command reports in one line instead of a traceback.
EXPECTED = (AgentreelError, sqlite3.Error, OSError)


def sentence(exc: BaseException, db_location: str) -> str | None:
    """The one-line report of an EXPECTED failure; None for a closed pipe.

    Output piped into ``head`` closes the pipe early: that is no error, and
    click exits quietly when the exception reaches it, so the caller re-raises.
    """
    if isinstance(exc, sqlite3.Error):
        # Stores translate what they expect; anything else (a locked or
        # damaged file) still deserves a sentence rather than a traceback.
        return f"SQLite error on {db_location}: {exc}"
    if isinstance(exc, OSError):
        if exc.errno == errno.EPIPE:
            return None
        reason = exc.strerror or str(exc)
        return f"{exc.filename}: {reason}" if exc.filename is not None else reason
    return str(exc)


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


def fail_on(cli: CliContext, exc: BaseException) -> NoReturn:
    """:func:`fail` with the :func:`sentence` of ``exc`` (re-raised if it is a closed pipe)."""
    message = sentence(exc, cli.db_location)
    if message is None:
        raise exc
    fail(cli, message)
