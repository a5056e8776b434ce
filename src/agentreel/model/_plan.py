"""Plans: the ordered steps an agent means to carry out, recorded apart from doing them.

A :class:`Plan` is what ``agentreel.plan(...)`` records (the input and output
of a ``plan`` step) and what the plan-vs-execution report compares a run
against. Its JSON form is the one the plan detector of
``agentreel.detectors`` reads: ``{"goal": ..., "steps": [{"id", "agent",
"tool", "description", "depends_on"}, ...]}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agentreel.errors import AgentreelError

from ._values import JSON

__all__ = ["InvalidPlan", "Plan", "PlanStep"]

#: Keys under which a plan's JSON may hold its steps (the first list found wins),
#: as the plan detector reads them.
_LIST_KEYS = ("steps", "plan", "tasks", "subtasks", "actions")
#: Keys a step's description may be written under; agents write "task" as often.
_TEXT_KEYS = ("description", "task")


class InvalidPlan(AgentreelError, ValueError):
    """A plan that cannot be carried out as written: no steps, a duplicate or
    empty id, a dependency on a step the plan lacks, or a dependency cycle."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanStep:
    """One planned step: an id unique in its plan, what it does, who does it.

    ``depends_on`` names the ids of the steps that must finish before this
    one starts; without it the plan's order is the only order asked for.
    """

    id: str
    description: str = ""
    agent: str | None = None
    tool: str | None = None
    depends_on: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {"id": self.id}
        if self.description:
            out["description"] = self.description
        if self.agent is not None:
            out["agent"] = self.agent
        if self.tool is not None:
            out["tool"] = self.tool
        if self.depends_on:
            out["depends_on"] = list(self.depends_on)
        return out

    @classmethod
    def from_json(cls, value: JSON, *, index: int = 0) -> PlanStep:
        """A step from its JSON; plain text becomes a step ``s<index+1>`` describing it."""
        if isinstance(value, PlanStep):
            return value
        if isinstance(value, str):
            return cls(id=f"s{index + 1}", description=value)
        if not isinstance(value, Mapping):
            raise InvalidPlan(
                f"plan step {index + 1} is of type {type(value).__name__}; "
                'write it as {"id": ..., "description": ...} or as text'
            )
        raw_id = value.get("id", value.get("step_id", f"s{index + 1}"))
        text = next((v for k in _TEXT_KEYS if isinstance(v := value.get(k), str) and v), "")
        deps = value.get("depends_on", ())
        if isinstance(deps, str | int):
            deps = (deps,)
        if not isinstance(deps, list | tuple):
            raise InvalidPlan(f"plan step {raw_id!r}: depends_on must be a list of step ids")
        return cls(
            id=str(raw_id) if isinstance(raw_id, str | int) else "",
            description=text,
            agent=_opt_str(value.get("agent")),
            tool=_opt_str(value.get("tool")),
            depends_on=tuple(str(d) for d in deps),
        )


def _opt_str(value: JSON) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """An ordered list of :class:`PlanStep` with unique ids and acyclic dependencies.

    Built from a list of steps (or of dicts, or of plain strings) with
    :meth:`of`; checked when made, so a plan that exists can be carried out.
    """

    steps: tuple[PlanStep, ...]
    goal: str = ""

    def __post_init__(self) -> None:
        if not self.steps:
            raise InvalidPlan("a plan needs at least one step")
        seen: set[str] = set()
        for step in self.steps:
            if not isinstance(step, PlanStep):
                raise InvalidPlan(
                    f"Plan.steps holds a {type(step).__name__}; use Plan.of() to build a "
                    "plan from dicts or strings"
                )
            if not step.id:
                raise InvalidPlan("every plan step needs a non-empty id")
            if step.id in seen:
                raise InvalidPlan(f"the plan has two steps with id {step.id!r}; ids must differ")
            seen.add(step.id)
        for step in self.steps:
            missing = [d for d in step.depends_on if d not in seen]
            if missing:
                raise InvalidPlan(
                    f"plan step {step.id!r} depends on {', '.join(map(repr, missing))}, "
                    "which the plan lacks"
                )
        cycle = _cycle(self.steps)
        if cycle:
            raise InvalidPlan(f"the plan's dependencies form a cycle: {' -> '.join(cycle)}")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)

    def get(self, step_id: str) -> PlanStep | None:
        """The step with id ``step_id``, or ``None``."""
        return next((s for s in self.steps if s.id == step_id), None)

    def to_json(self) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        if self.goal:
            out["goal"] = self.goal
        out["steps"] = [s.to_json() for s in self.steps]
        return out

    @classmethod
    def of(cls, steps: Iterable[PlanStep | JSON], *, goal: str = "") -> Plan:
        """A plan from steps given as :class:`PlanStep`, dicts or strings."""
        return cls(
            steps=tuple(PlanStep.from_json(s, index=i) for i, s in enumerate(steps)), goal=goal
        )

    @classmethod
    def from_json(cls, value: JSON) -> Plan:
        """A plan from its JSON: an object with ``steps`` (or ``plan``, ``tasks``,
        ``subtasks``, ``actions``) and an optional ``goal``, or a bare list of steps."""
        if isinstance(value, Plan):
            return value
        goal = ""
        if isinstance(value, Mapping):
            goal = _opt_str(value.get("goal")) or ""
            items = next((value[k] for k in _LIST_KEYS if isinstance(value.get(k), list)), None)
            if items is None:
                raise InvalidPlan(
                    'a plan is written as {"steps": [...]} or as a list of steps; '
                    f"got an object with keys {sorted(map(str, value))[:8]}"
                )
            value = items
        if not isinstance(value, list | tuple):
            kind = type(value).__name__
            raise InvalidPlan(f"a plan is a list of steps, not a value of type {kind}")
        return cls.of(value, goal=goal)


def _cycle(steps: tuple[PlanStep, ...]) -> list[str]:
    """One dependency cycle as ``[a, b, ..., a]``, or ``[]``.

    Iterative, not recursive: a long chain of dependencies must not hit the
    interpreter's recursion limit. Plans are short; quadratic time is fine.
    """
    deps = {s.id: set(s.depends_on) for s in steps}
    done: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node, needs in deps.items():
            if node not in done and needs <= done:
                done.add(node)
                changed = True
    stuck = [s.id for s in steps if s.id not in done]
    if not stuck:
        return []
    # A stuck step waits on at least one other stuck step: walking them loops.
    path = [stuck[0]]
    while True:
        nxt = min(d for d in deps[path[-1]] if d not in done)
        if nxt in path:
            return [*path[path.index(nxt) :], nxt]
        path.append(nxt)
