"""The ``agentreel debug`` commands that print and leave the cursor where it is.

They share this module because they share its rendering: the tree lines of
``where`` and ``list``, the fact tables of ``print`` and ``info``, the value
changes of ``diff``.
"""

from __future__ import annotations

from typing import Any

import orjson
from rich.text import Text

from agentreel.diff import FieldChange, diff_sessions
from agentreel.model import JSON, Status, Step

from ._chat import conversation, render_conversation
from ._debug_base import BadArgument, ShellBase, label, needs_no_argument, needs_number
from ._format import format_cost, format_duration, format_timestamp, format_tokens
from ._jsonout import print_json
from ._step import render_step
from ._style import KIND_STYLE, STATUS_STYLE, short_id

__all__ = ["SECTIONS", "LookCommands"]

#: What ``print`` takes, in the order its error message and completion offer them.
SECTIONS = ("input", "output", "attributes", "error", "context", "usage", "all")
_AROUND = 5  # steps `list` shows before and after the current one
_SHOWN = 120  # characters of a changed value that `diff` prints


def _compact(value: JSON) -> str:
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


class LookCommands(ShellBase):
    """where, list, longlist, print, info, diff."""

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
        needs_no_argument("where", arg)
        for depth, step in enumerate(self.stepper.path()):
            self._say(self._line(depth, step))

    def do_list(self, arg: str) -> None:
        """List steps around this one as a tree (again: the next ones; `list N`: around N)."""
        outline, here = self.stepper.outline, self.stepper.current.number
        around = here if arg.strip() in ("", ".") else needs_number("list", arg, "12")
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
        needs_no_argument("longlist", arg)
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
            raise BadArgument(f"print what? one of {', '.join(SECTIONS)}, or nothing")

    def complete_print(self, text: str, *ignored: Any) -> list[str]:
        return [s for s in SECTIONS if s.startswith(text)]

    complete_p = complete_print

    def _facts(self, step: Step) -> None:
        s = self.stepper
        rows: list[tuple[str, str | Text]] = [
            ("step", f"{step.number} of {len(s.steps)}: {step.kind} {step.name}"),
            ("status", Text(str(step.status), style=STATUS_STYLE[step.status])),
        ]
        parent, agent, kids = s.parent(step), s.agent(step), s.children(step)
        if parent is not None:
            rows.append(("parent", label(parent)))
        if agent is not None and agent not in (step, parent):
            rows.append(("agent", label(agent)))
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
        source = f"the input of {label(call)}, the last model call before it"
        self._say(f"Model context at #{step.number}: {source if found.after_call else 'its input'}")
        self._conversation(found.input, f"{label(call)} recorded no input.")
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
        needs_no_argument("info", arg)
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
            ("at", label(s.current)),
            ("breakpoints", str(len(s.breakpoints))),
        ]
        if session.error is not None:
            rows.append(("error", Text(session.error.summary(), style="red")))
        self._rows(rows)

    def do_diff(self, arg: str) -> None:
        """Compare this step with its counterpart in another session: `diff OTHER_ID`."""
        other = arg.strip()
        if not other or " " in other:
            raise BadArgument("diff needs one session id, for example: diff 4e95")
        s = self.stepper
        full = s.store.resolve_session_id(other)
        # Cached per session: stepping on and diffing again should not realign the sessions.
        if full not in self._diffs:
            self._diffs[full] = diff_sessions(s.store, s.session.id, full)
        result, here = self._diffs[full], s.current
        pair = next(p for p in result.pairs if p.a is not None and p.a.number == here.number)
        name = f"{result.b.session.name} ({short_id(full)})"
        if pair.b is None:
            self._say(f"#{here.number} has no counterpart in {name}: no such step there.")
        else:
            self._say(f"#{here.number} ↔ {label(pair.b)} in {name}: {pair.status}")
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
