"""Breakpoints: which steps ``continue`` stops at.

A spec names one condition on a step::

    12              the step numbered 12
    tool            every step of a kind (kind:tool says the same, unambiguously)
    run_*           every step whose name matches a glob (name:run_* likewise)
    tool:run_*      tool steps whose name matches a glob
    error           every step that failed
    if cost > 0.01  every step where a condition holds (see ``_parser``)
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Protocol

from agentreel.model import Status, StepKind

from ._errors import BreakpointError
from ._fields import StepFields
from ._parser import parse_predicate
from ._predicate import Predicate, Truth

__all__ = ["Breakpoint", "Condition", "parse_condition"]

_KINDS = {k.value for k in StepKind}
# Characters that mean the user wrote a condition and forgot ``if``.
_CONDITION_CHARS = re.compile(r"[\s=<>!()\"']")
_IF = re.compile(r"if(?![A-Za-z0-9_.:*?-])")


class Condition(Protocol):
    """What a breakpoint tests; ``describe()`` says it in words."""

    def test(self, fields: StepFields) -> Truth: ...

    def describe(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AtStep:
    number: int

    def test(self, fields: StepFields) -> Truth:
        return fields.step.number == self.number

    def describe(self) -> str:
        return f"step {self.number}"


@dataclass(frozen=True, slots=True)
class OfKind:
    kind: StepKind

    def test(self, fields: StepFields) -> Truth:
        return fields.step.kind is self.kind

    def describe(self) -> str:
        return f"every {self.kind} step"


@dataclass(frozen=True, slots=True)
class Named:
    pattern: str
    kind: StepKind | None = None

    def test(self, fields: StepFields) -> Truth:
        step = fields.step
        if self.kind is not None and step.kind is not self.kind:
            return False
        return fnmatch.fnmatchcase(step.name, self.pattern)

    def describe(self) -> str:
        what = "step" if self.kind is None else f"{self.kind} step"
        return f"every {what} named {self.pattern}"


@dataclass(frozen=True, slots=True)
class Failed:
    def test(self, fields: StepFields) -> Truth:
        return fields.step.status is Status.ERROR

    def describe(self) -> str:
        return "every step that failed"


@dataclass(frozen=True, slots=True)
class When:
    predicate: Predicate

    def test(self, fields: StepFields) -> Truth:
        return self.predicate.test(fields)

    def describe(self) -> str:
        return f"every step where {self.predicate.source}"


def _glob(spec: str, pattern: str) -> str:
    if not pattern:
        raise BreakpointError(spec, "the name is empty; for example: tool:run_tests or name:run_*")
    return pattern


def parse_condition(spec: str) -> Condition:
    """The condition a breakpoint spec names; :class:`BreakpointError` if none."""
    text = spec.strip()
    if not text:
        raise BreakpointError(spec, "empty; see `help break` for what a breakpoint can be")
    if _IF.match(text):
        condition = text[2:].strip()
        if not condition:
            raise BreakpointError(spec, "if needs a condition, for example: if cost > 0.01")
        return When(parse_predicate(condition))
    if text.isdigit():
        return AtStep(int(text))
    if text == "error":
        return Failed()
    if text in _KINDS:
        return OfKind(StepKind(text))
    prefix, colon, value = text.partition(":")
    if colon:
        if prefix == "kind":
            if value not in _KINDS:
                kinds = ", ".join(sorted(_KINDS))
                raise BreakpointError(spec, f"{value!r} is not a step kind; the kinds are {kinds}")
            return OfKind(StepKind(value))
        if prefix == "name":
            return Named(_glob(spec, value))
        if prefix == "tool":
            return Named(_glob(spec, value), StepKind.TOOL)
        raise BreakpointError(
            spec,
            f"{prefix + ':'!r} is not a kind of breakpoint; use kind:, name: or tool: "
            f"(for a step named {text!r}, write name:{text})",
        )
    if _CONDITION_CHARS.search(text):
        raise BreakpointError(
            spec,
            f"this looks like a condition: write `break if {text}` "
            f"(or name:{text} for a step with that name)",
        )
    return Named(text)


@dataclass(frozen=True, slots=True, kw_only=True)
class Breakpoint:
    """A numbered breakpoint of a stepper; ``spec`` is the text it was set with."""

    number: int
    spec: str
    condition: Condition
    enabled: bool = True

    def describe(self) -> str:
        return self.condition.describe()
