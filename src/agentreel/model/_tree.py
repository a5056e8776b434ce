"""The step tree of a session and the totals rolled up along it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ._step import Step
from ._values import NO_USAGE, Status, StepKind, TokenUsage


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    """Usage and cost of a step and everything under it."""

    usage: TokenUsage = NO_USAGE
    cost: float = 0.0
    steps: int = 0
    errors: int = 0


@dataclass(frozen=True, slots=True)
class StepTree:
    """Steps of one session arranged by parent, in step-number order.

    Steps whose parent is not in the session (a partial import, a step whose
    parent was dropped) are treated as roots, so nothing disappears from view.
    """

    steps: Sequence[Step]
    roots: tuple[Step, ...]
    children: dict[int, tuple[Step, ...]] = field(repr=False)

    @classmethod
    def build(cls, steps: Iterable[Step]) -> StepTree:
        ordered = sorted(steps, key=lambda s: s.number)
        numbers = {s.number for s in ordered}
        kids: dict[int, list[Step]] = {}
        roots: list[Step] = []
        for step in ordered:
            parent = step.parent_number
            if parent is None or parent not in numbers:
                roots.append(step)
            else:
                kids.setdefault(parent, []).append(step)
        return cls(ordered, tuple(roots), {k: tuple(v) for k, v in kids.items()})

    def children_of(self, number: int) -> tuple[Step, ...]:
        return self.children.get(number, ())

    def walk(self) -> Iterable[tuple[int, Step]]:
        """Yield ``(depth, step)`` in depth-first, step-number order."""
        stack: list[tuple[int, Step]] = [(0, s) for s in reversed(self.roots)]
        while stack:
            depth, step = stack.pop()
            yield depth, step
            stack.extend((depth + 1, c) for c in reversed(self.children_of(step.number)))


def rollup(tree: StepTree) -> dict[int, Totals]:
    """Totals per step number, each including all of the step's descendants.

    Only a step's *own* usage and cost are summed, so nested agents do not
    count their children's model calls twice.
    """
    totals: dict[int, Totals] = {}
    # Children always have higher numbers than their parent (they start later),
    # but a foreign import need not honour that; post-order via the tree is safe.
    order = [step for _, step in tree.walk()]
    for step in reversed(order):
        usage = step.usage
        cost = step.cost or 0.0
        count = 1
        errors = 1 if step.status is Status.ERROR else 0
        for child in tree.children_of(step.number):
            t = totals[child.number]
            usage = usage + t.usage
            cost += t.cost
            count += t.steps
            errors += t.errors
        totals[step.number] = Totals(usage=usage, cost=cost, steps=count, errors=errors)
    return totals


def session_totals(steps: Iterable[Step]) -> Totals:
    """Usage, cost, step count and error count over every step of a session."""
    usage = NO_USAGE
    cost = 0.0
    count = errors = 0
    for step in steps:
        usage = usage + step.usage
        cost += step.cost or 0.0
        count += 1
        errors += step.status is Status.ERROR
    return Totals(usage=usage, cost=cost, steps=count, errors=errors)


def agent_totals(tree: StepTree) -> dict[str, Totals]:
    """Totals per agent name: each step's own usage and cost counted once,
    against its nearest enclosing ``agent`` step (``"(no agent)"`` if none)."""
    owner: dict[int, str] = {}
    result: dict[str, Totals] = {}
    for _, step in tree.walk():
        if step.kind is StepKind.AGENT:
            name = step.name
        elif step.parent_number is not None and step.parent_number in owner:
            name = owner[step.parent_number]
        else:
            name = "(no agent)"
        owner[step.number] = name
        t = result.get(name, Totals())
        result[name] = Totals(
            usage=t.usage + step.usage,
            cost=t.cost + (step.cost or 0.0),
            steps=t.steps + 1,
            errors=t.errors + (step.status is Status.ERROR),
        )
    return result
