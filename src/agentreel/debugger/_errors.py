"""Errors of the stepper: bad breakpoints and bad conditions.

They join the one hierarchy of :mod:`agentreel.errors`::

    AgentreelError
    ├── BreakpointError           a breakpoint spec that cannot be understood
    │   └── PredicateError        a ``break if`` condition that does not parse
    └── NotFound
        └── UnknownBreakpoint     no breakpoint has this number
"""

from __future__ import annotations

from agentreel.errors import AgentreelError, NotFound


class BreakpointError(AgentreelError):
    """A breakpoint spec that names no kind of breakpoint the stepper knows."""

    def __init__(self, spec: str, problem: str) -> None:
        self.spec = spec
        self.problem = problem
        super().__init__(f"bad breakpoint {spec!r}: {problem}")


class PredicateError(BreakpointError):
    """A condition that does not parse; ``column`` is 1-based."""

    def __init__(self, source: str, column: int, problem: str) -> None:
        self.source = source
        self.column = column
        self.spec = f"if {source}"
        self.problem = problem
        # The column counts in the condition itself, so the message quotes only it.
        AgentreelError.__init__(self, f"bad condition {source!r}: {problem} (column {column})")


class UnknownBreakpoint(NotFound):
    """``clear``, ``enable`` or ``disable`` named a breakpoint that does not exist."""

    def __init__(self, number: int, existing: list[int]) -> None:
        self.number = number
        self.existing = existing
        hint = (
            "the breakpoints are " + ", ".join(map(str, existing)) if existing else "there are none"
        )
        super().__init__(f"no breakpoint {number}; {hint} (`break` lists them)")
