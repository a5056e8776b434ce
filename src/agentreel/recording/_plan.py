"""Plans recorded apart from their execution: ``agentreel.plan`` and ``agentreel.executing``.

``agentreel.plan(plan)`` records the plan as a ``plan`` step before anything
of it runs, which is where the ``before_plan`` decide hook sees it: a decider
may approve it, edit it (``Replace(input=new_plan)``) or reject it
(``Veto``). The call returns the plan to carry out — the edited one if it was
edited — or raises :class:`~agentreel.errors.StepVetoed`. The step's output
is the approved plan, in the JSON form the plan detector reads.

``with agentreel.executing("s2"):`` marks every step started inside it as
carrying out plan step ``s2`` (attribute ``plan_step``) of the plan recorded
last in this context (attribute ``agentreel.plan``: that plan step's number).
The plan-vs-execution report reads both.

``@agentreel.plan`` on a function still records each call as a ``plan``
step, as the other step decorators do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, ParamSpec, TypeVar, overload

from agentreel.errors import AgentreelError
from agentreel.model import InvalidPlan, Plan, PlanStep, StepKind

from . import _context
from ._api import _StepDecorator
from ._context import current_session, step_marks_var
from ._live import StepHandle
from ._recorder import STATE

__all__ = ["PLAN_NUMBER", "PLAN_STEP", "PlanApi", "executing", "plan"]

P = ParamSpec("P")
R = TypeVar("R")

#: Step attribute: the id of the plan step a step carries out (the plan detector reads it).
PLAN_STEP = "plan_step"
#: Step attribute: the number of the ``plan`` step whose plan that id belongs to.
PLAN_NUMBER = "agentreel.plan"
# The decision attributes agentreel.hooks writes (that layer builds on this one).
_DECISION = "agentreel.decision"


@dataclass(frozen=True, slots=True)
class _Recorded:
    session_id: str
    number: int
    plan: Plan


#: The plan recorded last in this context, for ``executing`` to point at.
_last_plan: ContextVar[_Recorded | None] = ContextVar("agentreel_plan", default=None)


def _edited(arguments: Mapping[str, Any]) -> Plan:
    """The plan a decision put in place of the original one.

    A decider's ``Replace(input=...)`` arrives as the new plan's JSON object,
    or as ``{"input": value}`` when the value was not an object (a
    :class:`Plan`, a list of steps).
    """
    if set(arguments) == {"input"}:
        return Plan.from_json(arguments["input"])
    return Plan.from_json(dict(arguments))


def _carry_out(plan: Plan, name: str) -> Plan:
    rec = STATE.recorder
    if rec is None:
        return plan
    try:
        handle = StepHandle(rec, StepKind.PLAN.value, name, plan.to_json())
        handle.start()
    except AgentreelError:  # replay's divergence, or a person aborting at a pause
        raise
    except Exception as exc:  # the recorder's own failure: the plan goes ahead as it is
        rec.stats.loss("hook_errors", detail=f"starting a plan step failed: {exc!r}")
        return plan
    answer = handle.answer
    approved = plan
    try:
        if answer is not None and answer.exception is not None:
            raise answer.exception
        if answer is not None and answer.arguments is not None:
            approved = _edited(answer.arguments)
            handle.set_input(approved.to_json())
        elif answer is not None:
            approved = Plan.from_json(answer.output)
        elif handle.attributes.get(_DECISION) == "replace":
            # A replayed Replace(output=...): replay copies the recorded
            # decision onto the step but leaves the answer to the step's code.
            recorded = handle.attributes.get(_DECISION + ".output")
            if recorded is not None:
                approved = Plan.from_json(recorded)
    except BaseException as exc:  # a veto, or an edit that is no plan: the step ends with it
        handle.finish(exc)
        raise
    handle.set_output(approved.to_json())
    handle.finish()
    session = handle.session
    _last_plan.set(_Recorded(session.id if session is not None else "", handle.number, approved))
    return approved


class PlanApi:
    """``agentreel.plan``: record a plan (and let hooks decide on it), or decorate a function.

    * ``agentreel.plan(Plan(...))``, ``agentreel.plan([{"id": "s1", ...}, ...])``,
      ``agentreel.plan({"goal": ..., "steps": [...]})`` or
      ``agentreel.plan(steps=[...], goal=...)`` records the plan as a ``plan``
      step named ``name`` (default ``"plan"``) and returns the approved
      :class:`~agentreel.model.Plan` — edited if a ``before_plan`` hook
      replaced it. A rejected plan raises :class:`~agentreel.errors.StepVetoed`.
      A malformed plan raises :class:`~agentreel.model.InvalidPlan` before
      anything is recorded.
    * ``@agentreel.plan`` / ``@agentreel.plan(name=...)`` records each call of
      the decorated function as a ``plan`` step, like the other step decorators.
    """

    def __init__(self) -> None:
        self._decorator = _StepDecorator(StepKind.PLAN)

    @overload
    def __call__(self, fn: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def __call__(
        self, fn: None = None, /, *, name: str | None = None
    ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...

    @overload
    def __call__(
        self,
        plan: Plan | Mapping[str, Any] | list[Any] | tuple[Any, ...],
        /,
        *,
        goal: str = "",
        name: str | None = None,
    ) -> Plan: ...

    @overload
    def __call__(
        self,
        plan: None = None,
        /,
        *,
        steps: Iterable[PlanStep | Mapping[str, Any] | str],
        goal: str = "",
        name: str | None = None,
    ) -> Plan: ...

    def __call__(
        self,
        plan: Any = None,
        /,
        *,
        steps: Iterable[PlanStep | Mapping[str, Any] | str] | None = None,
        goal: str = "",
        name: str | None = None,
    ) -> Any:
        if steps is None and plan is None and not goal:
            return self._decorator(name=name)
        if callable(plan) and not isinstance(plan, Plan | Mapping | list | tuple):
            return self._decorator(plan, name=name)
        if plan is not None and steps is not None:
            raise TypeError("agentreel.plan() takes a plan or steps=, not both")
        if plan is None:
            if steps is None:
                raise TypeError("agentreel.plan(goal=...) needs the plan's steps too")
            value = Plan.of(steps, goal=goal)
        else:
            value = Plan.from_json(plan)
            if goal and goal != value.goal:
                value = replace(value, goal=goal)
        return _carry_out(value, name or "plan")

    def __repr__(self) -> str:
        return "<agentreel.plan>"


plan = PlanApi()


@contextmanager
def executing(step: str | PlanStep) -> Iterator[None]:
    """Mark every step started inside the block as carrying out plan step ``step``.

    The steps get the attribute ``plan_step`` (the id) and, when a plan was
    recorded earlier in this context and session, ``agentreel.plan`` (the
    number of its ``plan`` step). Blocks nest; the innermost wins. An id the
    plan lacks is allowed: the plan-vs-execution report lists it as added.
    """
    step_id = step.id if isinstance(step, PlanStep) else str(step)
    if not step_id:
        raise InvalidPlan("agentreel.executing() needs a plan step id")
    marks: dict[str, Any] = {PLAN_STEP: step_id}
    last = _last_plan.get()
    session = current_session()
    if last is not None and (session is None or session.id == last.session_id):
        marks[PLAN_NUMBER] = last.number
    _context.marks_used = True
    token = step_marks_var.set(marks)
    try:
        yield
    finally:
        step_marks_var.reset(token)
