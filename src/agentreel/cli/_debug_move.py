"""The ``agentreel debug`` commands that move the cursor, and the breakpoints.

Breakpoints live here rather than with the commands that print because they
exist for ``continue`` and ``rcontinue``: they decide where a move stops.
"""

from __future__ import annotations

from collections.abc import Callable

from agentreel.debugger import Breakpoint, Stop
from agentreel.model import Step

from ._debug_base import ShellBase, needs_no_argument, needs_number

__all__ = ["MoveCommands"]


class MoveCommands(ShellBase):
    """step, next, back, up, down, goto, first, last, continue, rcontinue;
    break, clear, disable, enable."""

    # -- moving -------------------------------------------------------------------------

    def _repeat(
        self, command: str, arg: str, move: Callable[[], Step | None], nowhere: str
    ) -> None:
        count = needs_number(command, arg, "3") if arg.strip() else 1
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
        needs_no_argument("up", arg)
        here = self.stepper.current.number
        self._announce(self.stepper.up(), f"#{here} is a top-level step: it has no parent.")

    def do_down(self, arg: str) -> None:
        """Go back down to the child `up` came from, else to the first child."""
        needs_no_argument("down", arg)
        here = self.stepper.current.number
        self._announce(self.stepper.down(), f"#{here} has no child steps.")

    def do_goto(self, arg: str) -> None:
        """Go to step N: `goto 12`."""
        self._announce(self.stepper.goto(needs_number("goto", arg, "12")))

    def do_first(self, arg: str) -> None:
        """Go to the first step."""
        needs_no_argument("first", arg)
        self._announce(self.stepper.first())

    def do_last(self, arg: str) -> None:
        """Go to the last step."""
        needs_no_argument("last", arg)
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
        needs_no_argument("continue", arg)
        self._stopped(self.stepper.continue_forward(), "last")

    def do_rcontinue(self, arg: str) -> None:
        """Run backward to the previous step a breakpoint matches, or to the first."""
        needs_no_argument("rcontinue", arg)
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
            bp = self.stepper.remove_breakpoint(needs_number("clear", arg, "1"))
            self._say(f"Deleted breakpoint {bp.number}: {bp.spec}")
            return
        count = len(self.stepper.clear_breakpoints())
        self._say(f"Deleted {count} breakpoint{'' if count == 1 else 's'}.")

    def do_disable(self, arg: str) -> None:
        """Keep breakpoint N but do not stop at it."""
        bp = self.stepper.enable_breakpoint(needs_number("disable", arg, "1"), False)
        self._say(f"Disabled breakpoint {bp.number}: {bp.spec}")

    def do_enable(self, arg: str) -> None:
        """Stop at breakpoint N again."""
        bp = self.stepper.enable_breakpoint(needs_number("enable", arg, "1"), True)
        self._say(f"Enabled breakpoint {bp.number}: {bp.spec}")
