"""Plan versus execution: what a session planned, and what it did instead.

Every ``plan`` step of the session is checked against the steps that say
they carry out one of its planned steps (attribute ``plan_step``, set by
``agentreel.executing``; attribute ``agentreel.plan`` names the plan step
number, and without it a step belongs to the latest plan before it). The
step that carries out a planned step is the outermost one marked with its
id; retries are further steps marked with the same id. Each planned step is:

* **done** — its last attempt ended ok;
* **failed** — its last attempt ended in error;
* **running** — its last attempt never ended (the session was cut short);
* **skipped** — no step carried it out.

Steps that claim a plan step the plan lacks are **added**. A planned step
is **reordered** if it started before a step the plan puts before it, or
before one of its dependencies (``depends_on``) had finished or at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentreel.errors import AgentreelError
from agentreel.hooks import DECISION
from agentreel.model import JSON, Plan, Session, Status, Step, StepKind
from agentreel.recording import PLAN_NUMBER, PLAN_STEP
from agentreel.storage import Store, load_payload

__all__ = [
    "AddedStep",
    "PlanCheck",
    "PlanReport",
    "PlannedOutcome",
    "Reordered",
    "build_plan_report",
    "check_plan",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedOutcome:
    """One planned step and what became of it."""

    id: str
    description: str = ""
    agent: str | None = None
    depends_on: tuple[str, ...] = ()
    #: done, failed, running or skipped.
    status: str
    #: The steps that carried it out (attempts), in the order they started.
    steps: tuple[int, ...] = ()
    #: The last attempt's error, as "Type: message".
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AddedStep:
    """A step that says it carries out a plan step the plan lacks."""

    id: str
    number: int
    kind: str
    name: str
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reordered:
    """A planned step that ran out of the plan's order: why, in sentences."""

    id: str
    number: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanCheck:
    """One ``plan`` step compared with the execution it governs."""

    number: int
    name: str
    #: What a hook or person decided on the plan: allow, replace, veto (None: nobody).
    decision: str | None = None
    decided_by: str | None = None
    reason: str | None = None
    goal: str = ""
    #: None when the plan step's payload is not a readable plan (see ``problem``).
    planned: tuple[PlannedOutcome, ...] = ()
    added: tuple[AddedStep, ...] = ()
    reordered: tuple[Reordered, ...] = ()
    problem: str | None = None

    @property
    def skipped(self) -> tuple[PlannedOutcome, ...]:
        return tuple(p for p in self.planned if p.status == "skipped")

    @property
    def failed(self) -> tuple[PlannedOutcome, ...]:
        return tuple(p for p in self.planned if p.status == "failed")

    @property
    def followed(self) -> bool:
        """Nothing skipped, added, reordered or failed (and the plan was readable)."""
        return not (
            self.problem or self.skipped or self.added or self.reordered or self.failed
        ) and all(p.status == "done" for p in self.planned)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanReport:
    """Every plan of one session, checked against what ran."""

    session: Session
    plans: tuple[PlanCheck, ...]


def _text(value: JSON) -> str | None:
    return value if isinstance(value, str) and value else None


def _read(value: JSON) -> Plan:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [line.strip() for line in value.splitlines() if line.strip()]
    return Plan.from_json(value)


def _error(step: Step) -> str | None:
    if step.error is None:
        return None
    return f"{step.error.type.rsplit('.', 1)[-1]}: {step.error.message}"


def _carriers(steps: Sequence[Step], plans: Sequence[int]) -> dict[int, list[Step]]:
    """The outermost steps marked as carrying out a plan step, by the plan they belong to."""
    by_number = {s.number: s for s in steps}
    owner: dict[int, tuple[int, str] | None] = {}
    found: dict[int, list[Step]] = {n: [] for n in plans}
    for step in steps:  # in number order: a parent is seen before its children
        claimed = step.attributes.get(PLAN_STEP)
        if not isinstance(claimed, str | int) or isinstance(claimed, bool) or step.number in plans:
            owner[step.number] = None
            continue
        number = step.attributes.get(PLAN_NUMBER)
        if not isinstance(number, int) or number not in found:
            earlier = [n for n in plans if n < step.number]
            number = earlier[-1] if earlier else None
        mark = None if number is None else (number, str(claimed))
        owner[step.number] = mark
        parent = by_number.get(step.parent_number) if step.parent_number is not None else None
        if mark is not None and (parent is None or owner.get(parent.number) != mark):
            found[mark[0]].append(step)
    return found


def check_plan(plan_step: Step, plan: Plan, carriers: Sequence[Step]) -> PlanCheck:
    """Compare ``plan`` (recorded at ``plan_step``) with the steps that carried it out."""
    planned_ids = plan.ids
    attempts: dict[str, list[Step]] = {}
    added: list[AddedStep] = []
    for step in carriers:
        claimed = str(step.attributes[PLAN_STEP])
        if claimed in planned_ids:
            attempts.setdefault(claimed, []).append(step)
        else:
            added.append(
                AddedStep(
                    id=claimed,
                    number=step.number,
                    kind=str(step.kind),
                    name=step.name,
                    status=str(step.status),
                )
            )
    outcomes: list[PlannedOutcome] = []
    for item in plan.steps:
        tries = attempts.get(item.id, [])
        last = tries[-1] if tries else None
        status = "skipped"
        if last is not None:
            status = {Status.OK: "done", Status.ERROR: "failed"}.get(last.status, "running")
        outcomes.append(
            PlannedOutcome(
                id=item.id,
                description=item.description,
                agent=item.agent,
                depends_on=item.depends_on,
                status=status,
                steps=tuple(s.number for s in tries),
                error=_error(last) if last is not None and status == "failed" else None,
            )
        )
    attrs = plan_step.attributes
    return PlanCheck(
        number=plan_step.number,
        name=plan_step.name,
        decision=_text(attrs.get(DECISION)),
        decided_by=_text(attrs.get(DECISION + ".hook")),
        reason=_text(attrs.get(DECISION + ".reason")),
        goal=plan.goal,
        planned=tuple(outcomes),
        added=tuple(added),
        reordered=_reordered(plan, attempts),
    )


def _reordered(plan: Plan, attempts: Mapping[str, list[Step]]) -> tuple[Reordered, ...]:
    position = {item.id: i for i, item in enumerate(plan.steps)}
    first = {k: v[0] for k, v in attempts.items()}
    out: list[Reordered] = []
    for item in sorted(plan.steps, key=lambda i: first[i.id].number if i.id in first else 0):
        start = first.get(item.id)
        if start is None:
            continue
        reasons: list[str] = []
        overtaken = [
            other.id
            for other in plan.steps
            if position[other.id] < position[item.id]
            and other.id in first
            and first[other.id].number > start.number
        ]
        if overtaken:
            reasons.append(f"started before {', '.join(overtaken)}, which the plan puts before it")
        for dep in item.depends_on:
            tries = attempts.get(dep)
            if not tries:
                reasons.append(f"started although its dependency {dep} never ran")
            elif tries[0].number > start.number or _unfinished_at(tries[-1], start):
                reasons.append(f"started before its dependency {dep} had finished")
        if reasons:
            out.append(Reordered(id=item.id, number=start.number, reasons=tuple(reasons)))
    return tuple(out)


def _unfinished_at(dep: Step, start: Step) -> bool:
    return dep.ended_at is None or dep.ended_at > start.started_at


def _payload(store: Store, ref: str | None) -> JSON:
    return None if ref is None else load_payload(store, ref)


def build_plan_report(store: Store, session_id: str) -> PlanReport:
    """The plan-vs-execution report of session ``session_id`` (an id or unique prefix)."""
    sid = store.resolve_session_id(session_id)
    session = store.get_session(sid)
    steps = store.get_steps(sid)
    plan_steps = [s for s in steps if s.kind is StepKind.PLAN]
    carriers = _carriers(steps, [s.number for s in plan_steps])
    checks: list[PlanCheck] = []
    for plan_step in plan_steps:
        try:
            # The output is the approved plan; a rejected plan has only its input.
            recorded = _payload(store, plan_step.output_ref)
            if recorded is None:
                recorded = _payload(store, plan_step.input_ref)
            plan = _read(recorded)
        except AgentreelError as exc:  # InvalidPlan, or a payload missing from the store
            checks.append(
                PlanCheck(
                    number=plan_step.number,
                    name=plan_step.name,
                    decision=_text(plan_step.attributes.get(DECISION)),
                    problem=f"the plan of step {plan_step.number} cannot be read: {exc}",
                )
            )
            continue
        checks.append(check_plan(plan_step, plan, carriers[plan_step.number]))
    return PlanReport(session=session, plans=tuple(checks))
