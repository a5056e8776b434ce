"""Conditions for breakpoints: a tree of frozen nodes, evaluated by walking it.

``_parser`` builds the tree from text such as ``cost > 0.01 and kind == "llm"``.
A node can read the fields it names and compare values, nothing else: no
calls, no attribute access, no Python.

Evaluation has three outcomes: true, false, or :class:`Unknown` when a field
the outcome depends on is missing from the step or two values cannot be
ordered. ``and``/``or``/``not`` follow Kleene's logic, so ``error or
attributes.retry > 1`` is still true on a failed step that has no ``retry``
attribute. Comparing ``null`` with ``<``/``>`` or ``~`` is simply false (a
step with no cost is not ``cost > 0.01``), as in SQL.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from ._fields import MissingField

__all__ = [
    "Compare",
    "Constant",
    "Field",
    "Junction",
    "Node",
    "Not",
    "Predicate",
    "Truth",
    "Unknown",
]


@dataclass(frozen=True, slots=True)
class Unknown:
    """A condition that cannot be decided on a step, and why."""

    reason: str


Truth: TypeAlias = bool | Unknown
Resolve: TypeAlias = Callable[[Sequence[str]], Any]


@dataclass(frozen=True, slots=True)
class Constant:
    value: Any

    def eval(self, resolve: Resolve) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class Field:
    path: tuple[str, ...]

    def eval(self, resolve: Resolve) -> Any:
        try:
            return resolve(self.path)
        except MissingField as exc:
            return Unknown(exc.reason)


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Node
    right: Node

    def eval(self, resolve: Resolve) -> Any:
        a = self.left.eval(resolve)
        if isinstance(a, Unknown):
            return a
        b = self.right.eval(resolve)
        if isinstance(b, Unknown):
            return b
        return _compare(self.op, a, b)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node

    def eval(self, resolve: Resolve) -> Any:
        value = self.operand.eval(resolve)
        return value if isinstance(value, Unknown) else not _truthy(value)


@dataclass(frozen=True, slots=True)
class Junction:
    """``and`` (``decisive=False``: one false decides) or ``or`` (one true decides)."""

    decisive: bool
    operands: tuple[Node, ...]

    def eval(self, resolve: Resolve) -> Any:
        unknown: Unknown | None = None
        for operand in self.operands:
            value = operand.eval(resolve)
            if isinstance(value, Unknown):
                unknown = unknown or value
            elif _truthy(value) is self.decisive:
                return self.decisive
        return unknown if unknown is not None else not self.decisive


Node: TypeAlias = Constant | Field | Compare | Not | Junction


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and value != [] and value != {}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(value: Any) -> str:
    """A value as the condition language writes it."""
    if isinstance(value, str):
        return repr(value)
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if _is_number(value):
        return str(value)
    return "a list" if isinstance(value, list) else "a record"


def _equal(a: Any, b: Any) -> bool:
    # true is not 1 here, unlike in Python: a flag and a count are different things.
    if isinstance(a, bool) is not isinstance(b, bool):
        return False
    return bool(a == b)


def _compare(op: str, a: Any, b: Any) -> Truth:
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op in ("~", "!~"):
        if a is None:
            matched = False
        elif isinstance(a, str) and isinstance(b, str):
            matched = fnmatch.fnmatchcase(a, b)
        else:
            return Unknown(f"~ matches text against a text pattern, not {_show(a)} ~ {_show(b)}")
        return matched if op == "~" else not matched
    if a is None or b is None:
        return False
    if not ((_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str))):
        return Unknown(f"cannot order {_show(a)} and {_show(b)}")
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


@dataclass(frozen=True, slots=True)
class Predicate:
    """A parsed condition; ``source`` is the text it was parsed from."""

    source: str
    root: Node

    def test(self, resolve: Resolve) -> Truth:
        """True, false or :class:`Unknown`; ``resolve(path)`` reads a field
        (raising ``MissingField`` when the step lacks it)."""
        value = self.root.eval(resolve)
        return value if isinstance(value, Unknown) else _truthy(value)

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the condition reads, dotted, in order of first use."""
        found: dict[str, None] = {}
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Field):
                found.setdefault(".".join(node.path))
            elif isinstance(node, Compare):
                stack += [node.right, node.left]
            elif isinstance(node, Not):
                stack.append(node.operand)
            elif isinstance(node, Junction):
                stack += reversed(node.operands)
        return tuple(found)
