"""``agentreel debug``: a pdb-like prompt over a recorded session.

The stepping is :class:`agentreel.debugger.Stepper`; this module reads commands
(from a terminal, a pipe, or ``--command``), moves the stepper and prints.
A mistake at the prompt prints one ``***`` line and the session goes on.
"""

from __future__ import annotations

import cmd
import errno
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

import click
import orjson
from rich.console import Console
from rich.text import Text

from agentreel.debugger import FIELDS, Breakpoint, Stepper, Stop
from agentreel.diff import FieldChange, SessionDiff, diff_sessions
from agentreel.errors import AgentreelError
from agentreel.model import JSON, Status, Step

from ._chat import conversation, render_conversation
from ._context import CliContext, get_context
from ._format import format_cost, format_duration, format_timestamp, format_tokens
from ._jsonout import print_json
from ._step import render_step
from ._style import KIND_STYLE, STATUS_STYLE, short_id

__all__ = ["DebugShell", "debug"]

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
SECTIONS = ("input", "output", "attributes", "error", "context", "usage", "all")
_AROUND = 5  # steps `list` shows before and after the current one
_SHOWN = 120  # characters of a changed value that `diff` prints


class _BadArgument(Exception):
    """A command was given an argument it cannot use."""


def _label(step: Step) -> str:
    return f"#{step.number} {step.kind} {step.name}"


def _compact(value: JSON) -> str:
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _number(command: str, arg: str, example: str) -> int:
    text = arg.strip()
    if not text.isdigit():
        raise _BadArgument(f"{command} needs a number, for example: {command} {example}")
    return int(text)


def _no_argument(command: str, arg: str) -> None:
    if arg.strip():
        raise _BadArgument(f"{command} takes no argument")


class DebugShell(cmd.Cmd):
    """The prompt. Lines read from anything but a terminal are echoed after the
    prompt, so that a piped session's output reads like a typed one."""

    def __init__(self, stepper: Stepper, cli: CliContext, stdin: IO[str]) -> None:
        self.console: Console = cli.console
        super().__init__(stdin=stdin, stdout=self.console.file)
        self.stepper = stepper
        self.cli = cli
        self.use_rawinput = stdin.isatty() and self.console.file.isatty()
        self.failures = 0
        self._listing: tuple[int, int] | None = None  # (listed around, next outline index)
        self._diffs: dict[str, SessionDiff] = {}
        self._update_prompt()

    # -- plumbing -----------------------------------------------------------------------

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
        self.prompt = f"(agentreel {_label(self.stepper.current)}) "

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
        except (AgentreelError, sqlite3.Error, _BadArgument) as exc:
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

    def complete_print(self, text: str, *ignored: Any) -> list[str]:
        return [s for s in SECTIONS if s.startswith(text)]

    complete_p = complete_print

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

    def _announce(self, step: Step | None, nowhere: str = "") -> None:
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

    # -- moving -------------------------------------------------------------------------

    def _repeat(
        self, command: str, arg: str, move: Callable[[], Step | None], nowhere: str
    ) -> None:
        count = _number(command, arg, "3") if arg.strip() else 1
        step = None
        for _ in range(count):
            moved = move()
            if moved is None:
                break
            step = moved
        self._announce(step, nowhere)

    def do_step(self, arg: str) -> None:
        """Go to the next step in step-number order, into children (`step 3`: three)."""
        self._repeat("step", arg, self.stepper.step_into, "Already at the last step.")

    def do_next(self, arg: str) -> None:
        """Go to the next step that is not inside this one (over its children)."""
        nowhere = f"No later step outside #{self.stepper.current.number}."
        self._repeat("next", arg, self.stepper.step_over, nowhere)

    def do_back(self, arg: str) -> None:
        """Go to the previous step in step-number order (b is break, as in pdb)."""
        self._repeat("back", arg, self.stepper.step_back, "Already at the first step.")

    def do_up(self, arg: str) -> None:
        """Go to the parent of this step."""
        _no_argument("up", arg)
        here = self.stepper.current.number
        self._announce(self.stepper.up(), f"#{here} is a top-level step: it has no parent.")

    def do_down(self, arg: str) -> None:
        """Go back down to the child `up` came from, else to the first child."""
        _no_argument("down", arg)
        here = self.stepper.current.number
        self._announce(self.stepper.down(), f"#{here} has no child steps.")

    def do_goto(self, arg: str) -> None:
        """Go to step N: `goto 12`."""
        self._announce(self.stepper.goto(_number("goto", arg, "12")))

    def do_first(self, arg: str) -> None:
        """Go to the first step."""
        _no_argument("first", arg)
        self._announce(self.stepper.first())

    def do_last(self, arg: str) -> None:
        """Go to the last step."""
        _no_argument("last", arg)
        self._announce(self.stepper.last())

    def _stopped(self, stop: Stop, end: str) -> None:
        for warning in stop.warnings:
            self._say("warning: " + warning, "yellow")
        if stop.hits:
            for bp in stop.hits:
                self._say(f"Breakpoint {bp.number}: {bp.spec}")
        elif not stop.moved:
            self._say(f"Already at the {end} step.")
            return
        else:
            why = "No breakpoint matched" if self.stepper.breakpoints else "No breakpoints set"
            self._say(f"{why}: at the {end} step.")
        self._announce(stop.step)

    def do_continue(self, arg: str) -> None:
        """Run forward to the next step a breakpoint matches, or to the last step."""
        _no_argument("continue", arg)
        self._stopped(self.stepper.continue_forward(), "last")

    def do_rcontinue(self, arg: str) -> None:
        """Run backward to the previous step a breakpoint matches, or to the first."""
        _no_argument("rcontinue", arg)
        self._stopped(self.stepper.continue_backward(), "first")

    # -- breakpoints --------------------------------------------------------------------

    def do_break(self, arg: str) -> None:
        """Set a breakpoint on a step, kind, name, tool, failure or condition; list them.

        break               list the breakpoints
        break 12            step 12
        break tool          every step of a kind (or kind:tool)
        break run_*         every step whose name matches a glob (or name:run_*)
        break tool:run_*    tool steps whose name matches
        break error         every step that failed
        break if COND       every step where COND holds, for example
                            if cost > 0.01 and agent == "fixer"
                            if tokens.input >= 10000 or name ~ "run_*"

        COND compares fields (below) and values ("text", 12, 0.5, true, false,
        null) with == != < <= > >= and ~ or !~ (glob match), joined by and, or,
        not and parentheses. Where a field is missing from a step (an attribute
        it lacks), the condition does not match, and says so once.
        """
        if not arg.strip():
            if not self.stepper.breakpoints:
                self._say("No breakpoints.")
            width = max((len(bp.spec) for bp in self.stepper.breakpoints), default=0)
            for bp in self.stepper.breakpoints:
                state = "on " if bp.enabled else "off"
                self._say(f"{bp.number:>3} {state}  {bp.spec:<{width}}  ({bp.describe()})")
            return
        self._said(self.stepper.add_breakpoint(arg))

    def _said(self, bp: Breakpoint) -> None:
        self._say(f"Breakpoint {bp.number}: {bp.spec} ({bp.describe()})")

    def do_clear(self, arg: str) -> None:
        """Delete breakpoint N, or every breakpoint with no argument."""
        if arg.strip():
            bp = self.stepper.remove_breakpoint(_number("clear", arg, "1"))
            self._say(f"Deleted breakpoint {bp.number}: {bp.spec}")
            return
        count = len(self.stepper.clear_breakpoints())
        self._say(f"Deleted {count} breakpoint{'' if count == 1 else 's'}.")

    def do_disable(self, arg: str) -> None:
        """Keep breakpoint N but do not stop at it."""
        bp = self.stepper.enable_breakpoint(_number("disable", arg, "1"), False)
        self._say(f"Disabled breakpoint {bp.number}: {bp.spec}")

    def do_enable(self, arg: str) -> None:
        """Stop at breakpoint N again."""
        bp = self.stepper.enable_breakpoint(_number("enable", arg, "1"), True)
        self._say(f"Enabled breakpoint {bp.number}: {bp.spec}")

    # -- looking ------------------------------------------------------------------------

    def _line(self, depth: int, step: Step) -> Text:
        s = self.stepper
        here = ">" if step.number == s.current.number else " "
        mark = "B" if s.breakpoints_at(step) else " "
        line = Text(f"{here}{mark} {step.number:>{len(str(s.steps[-1].number))}}  ")
        line.append(f"{step.kind!s:<9}", style=KIND_STYLE[step.kind])
        line.append("  " * (depth + 1) + step.name)
        if step.status is not Status.OK:
            line.append(f"  {step.status}", style=STATUS_STYLE[step.status])
        if step.error is not None:
            line.append(f": {step.error.summary()}", style="red")
        return line

    def do_where(self, arg: str) -> None:
        """Show the path from the top-level step down to this one."""
        _no_argument("where", arg)
        for depth, step in enumerate(self.stepper.path()):
            self._say(self._line(depth, step))

    def do_list(self, arg: str) -> None:
        """List steps around this one as a tree (again: the next ones; `list N`: around N)."""
        outline, here = self.stepper.outline, self.stepper.current.number
        around = here if arg.strip() in ("", ".") else _number("list", arg, "12")
        if not arg.strip() and self._listing is not None and self._listing[0] == here:
            start = self._listing[1]
        else:
            self.stepper.find(around)  # an unknown number fails here, with the valid range
            start = next(i for i, (_, s) in enumerate(outline) if s.number == around)
            # At the end of the session, show as many steps as in the middle of it.
            start = max(0, min(start - _AROUND, len(outline) - 2 * _AROUND - 1))
        end = min(start + 2 * _AROUND + 1, len(outline))
        if start >= end:
            self._say("(end of the session)")
        for depth, step in outline[start:end]:
            self._say(self._line(depth, step))
        self._listing = (here, end)

    def do_longlist(self, arg: str) -> None:
        """List every step of the session as a tree."""
        _no_argument("longlist", arg)
        for depth, step in self.stepper.outline:
            self._say(self._line(depth, step))

    def do_print(self, arg: str) -> None:
        """Print this step's facts, or its input, output, attributes, error, context, usage, all.

        context is what the model saw: at a model call, its input as a
        conversation; at any other step, the input and reply of the last
        model call before it. all prints what `agentreel show ID --step N` does.
        """
        what = arg.strip()
        step = self.stepper.current
        if what in ("input", "output"):
            ref = step.input_ref if what == "input" else step.output_ref
            if ref is None:
                self._say(f"#{step.number} recorded no {what}.")
            else:
                print_json(self.console, self.stepper.payload(step, what))
        elif what == "attributes":
            if not step.attributes:
                self._say(f"#{step.number} has no attributes.")
            else:
                print_json(self.console, dict(step.attributes))
        elif what == "error":
            if step.error is None:
                self._say(f"#{step.number} did not fail.")
            else:
                self._say(step.error.summary(), "bold red")
                if step.error.traceback:
                    self._say(step.error.traceback.rstrip("\n"))
        elif what == "context":
            self._context(step)
        elif what == "usage":
            u = step.usage
            tokens = f"{u.input:,} in ({u.cached:,} cached), {u.output:,} out"
            reasoning = f" ({u.reasoning:,} reasoning), {u.total:,} total"
            self._rows(
                [
                    ("model", step.model or "-"),
                    ("tokens", tokens + reasoning),
                    ("cost", format_cost(step.cost)),
                    ("duration", format_duration(step.duration_ns)),
                ]
            )
        elif what == "all":
            s = self.stepper
            summary = s.store.summarize(s.session.id)
            render_step(
                self.console, s.store, summary, step, now_ns=self.cli.clock(), tz=self.cli.tz
            )
        elif not what:
            self._facts(step)
        else:
            raise _BadArgument(f"print what? one of {', '.join(SECTIONS)}, or nothing")

    def _facts(self, step: Step) -> None:
        s = self.stepper
        rows: list[tuple[str, str | Text]] = [
            ("step", f"{step.number} of {len(s.steps)}: {step.kind} {step.name}"),
            ("status", Text(str(step.status), style=STATUS_STYLE[step.status])),
        ]
        parent, agent, kids = s.parent(step), s.agent(step), s.children(step)
        if parent is not None:
            rows.append(("parent", _label(parent)))
        if agent is not None and agent not in (step, parent):
            rows.append(("agent", _label(agent)))
        if kids:
            rows.append(("children", ", ".join(f"#{c.number}" for c in kids)))
        rows.append(("duration", format_duration(step.duration_ns)))
        if step.model:
            rows.append(("model", step.model))
        if step.usage:
            rows.append(("tokens", f"{step.usage.input:,} in, {step.usage.output:,} out"))
        if step.cost is not None:
            rows.append(("cost", format_cost(step.cost)))
        held = [w for w, ref in (("input", step.input_ref), ("output", step.output_ref)) if ref]
        if held:
            rows.append(
                ("recorded", " and ".join(held) + " (print " + " / print ".join(held) + ")")
            )
        if step.error is not None:
            rows.append(("error", Text(step.error.summary(), style="red")))
        self._rows(rows)

    def _context(self, step: Step) -> None:
        found = self.stepper.context(step)
        if found is None:
            self._say(f"No model call at or before #{step.number}: the model has seen nothing yet.")
            return
        call = found.call
        source = f"the input of {_label(call)}, the last model call before it"
        self._say(f"Model context at #{step.number}: {source if found.after_call else 'its input'}")
        self._conversation(found.input, f"{_label(call)} recorded no input.")
        if found.after_call and call.output_ref is not None:
            self._say(f"Reply of #{call.number}:")
            self._conversation(found.reply, "")

    def _conversation(self, value: JSON, empty: str) -> None:
        messages = conversation(value)
        if value is None and empty:
            self._say(empty)
        elif messages is None:
            self._say("(not a chat conversation; as recorded:)", "dim")
            print_json(self.console, value)
        else:
            self.console.print(render_conversation(messages))

    def do_info(self, arg: str) -> None:
        """Summarise the session, and say where the cursor is."""
        _no_argument("info", arg)
        s = self.stepper
        summary = s.store.summarize(s.session.id)
        session, usage = summary.session, summary.usage
        tokens = (format_tokens(n) for n in (usage.total, usage.input, usage.output))
        rows: list[tuple[str, str | Text]] = [
            ("session", f"{session.name} ({session.id})"),
            ("status", Text(str(session.status), style=STATUS_STYLE[session.status])),
            ("started", format_timestamp(session.started_at, self.cli.tz)),
            ("duration", format_duration(session.duration_ns)),
            ("steps", f"{summary.step_count}, {summary.error_count} failed"),
            ("tokens", "{} ({} in, {} out)".format(*tokens)),
            ("cost", format_cost(summary.cost)),
            ("at", _label(s.current)),
            ("breakpoints", str(len(s.breakpoints))),
        ]
        if session.error is not None:
            rows.append(("error", Text(session.error.summary(), style="red")))
        self._rows(rows)

    def do_diff(self, arg: str) -> None:
        """Compare this step with its counterpart in another session: `diff OTHER_ID`."""
        other = arg.strip()
        if not other or " " in other:
            raise _BadArgument("diff needs one session id, for example: diff 4e95")
        s = self.stepper
        full = s.store.resolve_session_id(other)
        if full not in self._diffs:
            self._diffs[full] = diff_sessions(s.store, s.session.id, full)
        result, here = self._diffs[full], s.current
        pair = next(p for p in result.pairs if p.a is not None and p.a.number == here.number)
        name = f"{result.b.session.name} ({short_id(full)})"
        if pair.b is None:
            self._say(f"#{here.number} has no counterpart in {name}: no such step there.")
        else:
            self._say(f"#{here.number} ↔ {_label(pair.b)} in {name}: {pair.status}")
        for change in pair.changes:
            self._change(change)
        first = result.first_divergence
        if first is None:
            self._say("The two sessions do not differ.", "dim")
        elif first is not pair and first.a is not None:
            self._say(f"They first differ at #{first.a.number}.", "dim")
        elif first is not pair and first.b is not None:
            self._say(f"They first differ at #{first.b.number} of {short_id(full)}.", "dim")

    def _change(self, change: FieldChange) -> None:
        path = change.path or "(the whole value)"
        if change.text_diff:
            self._say(f"  {path}:")
            for line in change.text_diff.splitlines():
                self._say("    " + line)
        elif change.change == "added":
            self._say(f"  {path}: added {_compact(change.after)}")
        elif change.change == "removed":
            self._say(f"  {path}: removed {_compact(change.before)}")
        else:
            self._say(f"  {path}: {_compact(change.before)} → {_compact(change.after)}")

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
            raise _BadArgument(f"no command {arg.strip()!r}; `help` lists the commands")
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
