"""agentreel.plan records a Plan and lets before_plan hooks approve, edit or reject it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.errors import StepVetoed
from agentreel.hooks import Allow, Call, Replace, Veto
from agentreel.model import InvalidPlan, Plan, PlanStep, Status, StepKind

from .conftest import Reel

STEPS = [
    {"id": "s1", "description": "look", "agent": "investigator"},
    {"id": "s2", "description": "fix", "agent": "fixer"},
    {"id": "s3", "description": "check", "agent": "verifier", "depends_on": ["s2"]},
]
PLAN = Plan.of(STEPS, goal="green tests")


class Decider:
    """A before_plan hook that answers with ``decision`` and remembers what it saw."""

    def __init__(self, decision: Any) -> None:
        self.decision = decision
        self.seen: list[Any] = []

    def before_plan(self, call: Call) -> Any:
        self.seen.append((call.kind, call.name, call.input))
        return self.decision


def _record(reel: Reel, make: Any = lambda: agentreel.plan(PLAN)) -> tuple[str, list[Any]]:
    got: list[Any] = []
    sid = reel.record(lambda: got.append(make()))
    return sid, got


def test_without_configure_the_plan_is_returned_and_nothing_recorded() -> None:
    assert agentreel.plan(PLAN) is PLAN
    assert agentreel.plan(steps=STEPS, goal="green tests") == PLAN
    with agentreel.executing("s1"):
        pass


def test_a_plan_is_recorded_as_a_plan_step_whose_output_is_the_plan(reel: Reel) -> None:
    sid, got = _record(reel)
    assert got == [PLAN]
    (step,) = reel.steps(sid)
    assert (step.kind, step.name, step.status) == (StepKind.PLAN, "plan", Status.OK)
    assert reel.payload(step.input_ref) == PLAN.to_json()
    assert reel.payload(step.output_ref) == PLAN.to_json()
    assert "agentreel.decision" not in step.attributes


@pytest.mark.parametrize(
    "call",
    [
        lambda: agentreel.plan(STEPS, goal="green tests", name="triage"),
        lambda: agentreel.plan({"goal": "green tests", "steps": STEPS}, name="triage"),
        lambda: agentreel.plan(steps=[PlanStep.from_json(s) for s in STEPS], goal="green tests",
                               name="triage"),
    ],
)  # fmt: skip
def test_every_way_of_giving_the_plan_records_the_same(reel: Reel, call: Any) -> None:
    sid, got = _record(reel, call)
    assert got == [PLAN]
    (step,) = reel.steps(sid)
    assert step.name == "triage"
    assert reel.payload(step.output_ref) == PLAN.to_json()


def test_the_decorator_forms_still_record_plan_steps(reel: Reel) -> None:
    @agentreel.plan
    def make(task: str) -> list[str]:
        return [task, "verify"]

    @agentreel.plan(name="replan")
    def again(task: str) -> list[str]:
        return [task]

    sid = reel.record(lambda: (make("fix"), again("retry")))
    steps = reel.steps(sid)
    assert [(s.kind, s.name) for s in steps] == [(StepKind.PLAN, "make"), (StepKind.PLAN, "replan")]
    assert reel.payload(steps[0].input_ref) == {"task": "fix"}
    assert reel.payload(steps[0].output_ref) == ["fix", "verify"]
    assert repr(agentreel.plan) == "<agentreel.plan>"


def test_a_malformed_plan_raises_before_anything_is_recorded(reel: Reel) -> None:
    errors: list[str] = []

    def run() -> None:
        for bad in ([], [{"id": "a"}, {"id": "a"}]):
            try:
                agentreel.plan(bad)
            except InvalidPlan as exc:
                errors.append(str(exc))

    sid = reel.record(run)
    assert len(errors) == 2
    assert reel.steps(sid) == []
    with pytest.raises(TypeError, match="a plan or steps=, not both"):
        agentreel.plan(STEPS, steps=STEPS)
    with pytest.raises(TypeError, match="needs the plan's steps too"):
        agentreel.plan(goal="only a goal")


def test_an_approving_hook_sees_the_plan_and_its_decision_is_recorded(reel: Reel) -> None:
    decider = Decider(Allow("looks right"))
    hooks.register(decider, name="reviewer")
    sid, got = _record(reel)
    assert got == [PLAN]
    assert decider.seen == [("plan", "plan", PLAN.to_json())]
    (step,) = reel.steps(sid)
    assert step.status is Status.OK
    assert step.attributes["agentreel.decision"] == "allow"
    assert step.attributes["agentreel.decision.hook"] == "reviewer"
    assert step.attributes["agentreel.decision.reason"] == "looks right"


EDITED_STEPS = [STEPS[0], {"id": "s3", "description": "check", "agent": "verifier"}]
EDITED = Plan.of(EDITED_STEPS, goal="green tests")


@pytest.mark.parametrize(
    "decision",
    [
        Replace(input=EDITED.to_json(), reason="no fixer"),
        Replace(input=EDITED, reason="no fixer"),
        Replace(input=EDITED_STEPS, reason="no fixer"),
        Replace(output=EDITED, reason="no fixer"),
    ],
    ids=["json", "plan", "list", "output"],
)
def test_an_editing_hook_changes_the_plan_the_agent_gets(reel: Reel, decision: Replace) -> None:
    hooks.register(Decider(decision), name="editor")
    sid, got = _record(reel)
    assert [p.ids for p in got] == [("s1", "s3")]
    (step,) = reel.steps(sid)
    assert step.status is Status.OK
    assert step.attributes["agentreel.decision"] == "replace"
    assert step.attributes["agentreel.decision.reason"] == "no fixer"
    assert Plan.from_json(reel.payload(step.output_ref)).ids == ("s1", "s3")
    if "agentreel.decision.input_before" in step.attributes:  # an input edit
        assert step.attributes["agentreel.decision.input_before"] == PLAN.to_json()
        assert Plan.from_json(reel.payload(step.input_ref)).ids == ("s1", "s3")


def test_a_rejecting_hook_raises_step_vetoed_and_the_step_records_it(reel: Reel) -> None:
    hooks.register(Decider(Veto("too risky")), name="gate")
    vetoed: list[StepVetoed] = []

    def run() -> None:
        try:
            agentreel.plan(PLAN)
        except StepVetoed as exc:
            vetoed.append(exc)

    sid = reel.record(run)
    (exc,) = vetoed
    assert (exc.hook, exc.reason) == ("gate", "too risky")
    assert str(exc) == "plan step 1 (plan) was vetoed by gate: too risky"
    (step,) = reel.steps(sid)
    assert step.status is Status.ERROR
    assert step.error is not None and step.error.type == "agentreel.errors.StepVetoed"
    assert step.attributes["agentreel.decision"] == "veto"
    assert step.output_ref is None
    assert reel.payload(step.input_ref) == PLAN.to_json()


def test_an_edit_that_is_no_plan_fails_the_plan_step(reel: Reel) -> None:
    hooks.register(Decider(Replace(input={"steps": []})), name="broken")
    raised: list[Exception] = []

    def run() -> None:
        try:
            agentreel.plan(PLAN)
        except InvalidPlan as exc:
            raised.append(exc)

    sid = reel.record(run)
    assert [str(e) for e in raised] == ["a plan needs at least one step"]
    (step,) = reel.steps(sid)
    assert step.status is Status.ERROR
    assert step.error is not None and step.error.message == "a plan needs at least one step"


def test_executing_marks_every_step_started_inside_it(reel: Reel) -> None:
    def run() -> None:
        plan = agentreel.plan(PLAN)
        for item in plan.steps:
            with agentreel.executing(item), agentreel.step("agent", str(item.agent)):
                with agentreel.step("tool", "t"):
                    pass
        with agentreel.executing("s9"):
            with agentreel.executing("s2"):  # the innermost block wins
                agentreel.event("inner")
            # A step that names its plan step itself keeps it.
            agentreel.event("own", plan_step="mine")
        agentreel.event("outside")

    sid = reel.record(run)
    marks = [
        (s.number, s.name, s.attributes.get("plan_step"), s.attributes.get("agentreel.plan"))
        for s in reel.steps(sid)
    ]
    assert marks == [
        (1, "plan", None, None),
        (2, "investigator", "s1", 1),
        (3, "t", "s1", 1),
        (4, "fixer", "s2", 1),
        (5, "t", "s2", 1),
        (6, "verifier", "s3", 1),
        (7, "t", "s3", 1),
        (8, "inner", "s2", 1),
        (9, "own", "mine", 1),
        (10, "outside", None, None),
    ]


def test_executing_points_at_the_latest_plan(reel: Reel) -> None:
    def run() -> None:
        with agentreel.executing("s1"):  # no plan yet: the id alone
            agentreel.event("early")
        agentreel.plan(["a"])
        agentreel.plan(["b"], name="replan")
        with agentreel.executing("s1"):
            agentreel.event("late")

    sid = reel.record(run)
    steps = {s.name: s for s in reel.steps(sid)}
    assert dict(steps["early"].attributes) == {"plan_step": "s1"}
    assert dict(steps["late"].attributes) == {"plan_step": "s1", "agentreel.plan": 3}
    with pytest.raises(InvalidPlan, match="needs a plan step id"):
        with agentreel.executing(""):
            pass


def test_plans_and_marks_work_in_async_agents_and_threads(reel: Reel) -> None:
    hooks.register(Decider(Replace(input=EDITED)), name="editor")

    async def worker(item: PlanStep) -> None:
        with agentreel.executing(item):
            async with agentreel.step("agent", item.id):
                await asyncio.sleep(0.01)
                with agentreel.step("tool", f"tool-{item.id}"):
                    pass

    async def main() -> None:
        plan = agentreel.plan(PLAN)
        await asyncio.gather(*(worker(s) for s in plan.steps))
        with agentreel.executing("s1"):
            with agentreel.ContextThreadPoolExecutor(1) as pool:
                pool.submit(agentreel.event, "in-a-thread").result()

    sid = reel.record(lambda: asyncio.run(main()))
    steps = reel.steps(sid)
    by_name = {s.name: s.attributes.get("plan_step") for s in steps}
    assert by_name == {
        "plan": None,
        "s1": "s1",
        "s3": "s3",
        "tool-s1": "s1",
        "tool-s3": "s3",
        "in-a-thread": "s1",
    }
