"""``agentreel debug``: a pdb-like prompt over a recorded session.

The stepping is :class:`agentreel.debugger.Stepper`; this module reads commands
(from a terminal, a pipe, or ``--command``), moves the stepper and prints.
A mistake at the prompt prints one ``***`` line and the session goes on.

The prompt is one :class:`DebugShell`, put together from mixins: the
commands that move live in ``_debug_move``, those that print in
``_debug_look``, and what both stand on in ``_debug_base``. This module keeps
what concerns the prompt as a whole: the command table, dispatch and its
errors, the read loop, ``help`` and the click command.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

import click

from agentreel.debugger import FIELDS, Stepper
from agentreel.errors import AgentreelError
from agentreel.model import Status

from ._context import get_context
from ._debug_base import BadArgument
from ._debug_look import SECTIONS, LookCommands
from ._debug_move import MoveCommands
from ._style import short_id

# COMMANDS, ALIASES and SECTIONS are read from here by the tests that hold
# docs/debug.md to the commands, hence exported although the module is private.
__all__ = ["ALIASES", "COMMANDS", "SECTIONS", "DebugShell", "debug"]

#: Every command in the order ``help`` lists them, with its abbreviations.
COMMANDS: dict[str, tuple[str, ...]] = {
    "step": ("s",),
    "next": ("n",),
    "back": ("bk",),
    "up": ("u",),
    "down": ("d",),
    "goto": ("g",),
    "first": (),
    "last": (),
    "continue": ("c", "cont"),
    "rcontinue": ("rc",),
    "break": ("b",),
    "clear": ("cl",),
    "disable": (),
    "enable": (),
    "print": ("p",),
    "where": ("w", "bt"),
    "list": ("l",),
    "longlist": ("ll",),
    "diff": (),
    "info": (),
    "help": ("h", "?"),
    "quit": ("q", "exit"),
}
ALIASES = {alias: name for name, aliases in COMMANDS.items() for alias in aliases}


class DebugShell(MoveCommands, LookCommands):
    """The prompt. Lines read from anything but a terminal are echoed after the
    prompt, so that a piped session's output reads like a typed one."""

    # -- plumbing -----------------------------------------------------------------------

    def precmd(self, line: str) -> str:
        if not self.use_rawinput and line != "EOF":
            self.stdout.write(line + "\n")
        return line

    def postcmd(self, stop: bool, line: str) -> bool:
        self._update_prompt()
        return stop

    def onecmd(self, line: str) -> bool:
        name, arg, line = self.parseline(line)
        if not line:
            return self.emptyline()
        if line == "EOF":
            self.stdout.write("\n")
            return True
        self.lastcmd = line
        handler = getattr(self, f"do_{ALIASES.get(name or '', name)}", None)
        if handler is None:
            return self._fail(f"unknown command {line.split()[0]!r}; `help` lists the commands")
        try:
            return bool(handler(arg or ""))
        except (AgentreelError, sqlite3.Error, BadArgument) as exc:
            return self._fail(str(exc))
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            return self._fail(str(exc))

    def _fail(self, message: str) -> bool:
        self.failures += 1
        self._say("*** " + " ".join(message.splitlines()))
        return False

    def completenames(self, text: str, *ignored: Any) -> list[str]:
        return [n for n in [*COMMANDS, *ALIASES] if n.startswith(text)]

    def run(self) -> None:
        """Read commands until ``quit`` or the end of input; Ctrl-C only cancels a line."""
        self._intro()
        intro = None
        while True:
            try:
                self.cmdloop(intro)
                return
            except KeyboardInterrupt:
                self.stdout.write("\n")
                intro = "--KeyboardInterrupt-- (quit or Ctrl-D leaves)"

    def run_commands(self, commands: Sequence[str]) -> int:
        """Run ``commands`` as if typed, then stop; 1 if any of them failed."""
        self._intro()
        for line in commands:
            self.stdout.write(self.prompt + line + "\n")
            if self.onecmd(line):
                break
            self._update_prompt()
        return 1 if self.failures else 0

    def _intro(self) -> None:
        s = self.stepper
        failed = sum(step.status is Status.ERROR for step in s.steps)
        counts = f"{len(s.steps)} steps" + (f", {failed} failed" if failed else "")
        self._say(
            f"Debugging {s.session.name} ({short_id(s.session.id)}): {counts}. "
            "Type help for the commands, quit to leave."
        )
        for bp in s.breakpoints:
            self._said(bp)
        self._announce(s.current)

    # -- the rest -----------------------------------------------------------------------

    def do_help(self, arg: str) -> None:
        """List the commands, or explain one: `help break`."""
        name = ALIASES.get(arg.strip(), arg.strip())
        if not name:
            for command, aliases in COMMANDS.items():
                doc = (getattr(self, f"do_{command}").__doc__ or "").splitlines()[0]
                self._say(f"{', '.join((command, *aliases)):<18} {doc}")
            self._say(
                "Step numbers are those of `agentreel show`; an empty line repeats a command."
            )
            return
        if name not in COMMANDS:
            raise BadArgument(f"no command {arg.strip()!r}; `help` lists the commands")
        aliases = COMMANDS[name]
        self._say(name + (f" ({', '.join(aliases)})" if aliases else ""), "bold")
        lines = (getattr(self, f"do_{name}").__doc__ or "").strip().splitlines()
        self._say("\n".join(line.removeprefix("        ") for line in lines))
        if name == "break":
            self._say()
            self._rows(list(FIELDS.items()))

    def do_quit(self, arg: str) -> bool:
        """Leave the debugger (so does the end of input, Ctrl-D)."""
        return True


@click.command("debug")
@click.argument("session_id", metavar="ID")
@click.option(
    "--step", "start", type=int, metavar="N", help="Start at step N (default: the first)."
)
@click.option(
    "--break",
    "breaks",
    multiple=True,
    metavar="SPEC",
    help="Set a breakpoint before starting (repeatable); `help break` at the prompt explains SPEC.",
)
@click.option(
    "-c",
    "--command",
    "commands",
    multiple=True,
    metavar="CMD",
    help="Run CMD as if typed (repeatable), then exit without reading standard input.",
)
def debug(
    session_id: str, start: int | None, breaks: tuple[str, ...], commands: tuple[str, ...]
) -> int:
    """Step through a recorded session like pdb: step, next, break, continue, print.

    ID is a session id or any unique prefix of one. Commands are read from
    standard input, so a pipe can drive the debugger too.
    """
    cli = get_context()
    stepper = Stepper.load(cli.open_store(), session_id, start=start)
    for spec in breaks:
        stepper.add_breakpoint(spec)
    shell = DebugShell(stepper, cli, sys.stdin)
    if commands:
        return shell.run_commands(commands)
    shell.run()
    return 0
