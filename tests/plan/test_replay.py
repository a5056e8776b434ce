"""A replay reproduces what hooks decided on a plan, without asking them again."""

from __future__ import annotations

from typing import Any

import agentreel
from agentreel import hooks
from agentreel.errors import StepVetoed
from agentreel.hooks import Call, Replace, Veto
from agentreel.model import Plan, Status
from agentreel.replay import Edit

from .conftest import Reel

PLAN = Plan.of(
    [{"id": "s1", "agent": "investigator"}, {"id": "s2", "agent": "fixer"}, "verify"],
    goal="green tests",
)
RAN: list[str] = []


@agentreel.tool
def work(item: str) -> str:
    RAN.append(item)
    return f"did {item}"


class Counting:
    def __init__(self, decision: Any) -> None:
        self.decision = decision
        self.asked = 0

    def before_plan(self, call: Call) -> Any:
        self.asked += 1
        return self.decision


def agent(out: list[Any]) -> None:
    """A program that plans, then carries out the plan it gets."""
    try:
        plan = agentreel.plan(PLAN)
    except StepVetoed as exc:
        out.append(("vetoed", exc.hook, exc.reason))
        return
    out.append(plan.ids)
    for item in plan.steps:
        with agentreel.executing(item):
            out.append(work(item.id))


def test_replay_of_an_edited_plan_reproduces_the_edit(reel: Reel) -> None:
    editor = Counting(Replace(input=Plan.of(["verify only"]), reason="trimmed"))
    hooks.register(editor, name="editor")
    first: list[Any] = []
    sid = reel.record(lambda: agent(first))
    assert first == [("s1",), "did s1"]
    assert editor.asked == 1
    RAN.clear()

    again: list[Any] = []
    with agentreel.replay(sid, db=reel.path) as r:
        agent(again)
    assert r.result.ok, r.result.divergences
    assert again == first
    assert editor.asked == 1  # the hook was not asked again
    assert RAN == []  # the tool was served from the recording
    assert r.result.new_session_id is not None
    plan_step, tool_step = reel.steps(r.result.new_session_id)
    assert plan_step.attributes["agentreel.decision"] == "replace"
    assert plan_step.attributes["agentreel.decision.hook"] == "editor"
    assert Plan.from_json(reel.payload(plan_step.output_ref)) == Plan.of(["verify only"])
    assert tool_step.attributes["plan_step"] == "s1"
    assert tool_step.attributes["agentreel.plan"] == plan_step.number


def test_replay_of_a_rejected_plan_rejects_it_again(reel: Reel) -> None:
    gate = Counting(Veto("not today"))
    hooks.register(gate, name="gate")
    first: list[Any] = []
    sid = reel.record(lambda: agent(first))
    assert first == [("vetoed", "gate", "not today")]

    hooks.reset()  # nobody is there to decide now: the recording decides
    again: list[Any] = []
    with agentreel.replay(sid, db=reel.path) as r:
        agent(again)
    assert r.result.ok, r.result.divergences
    assert again == first
    assert gate.asked == 1
    assert r.result.new_session_id is not None
    (plan_step,) = reel.steps(r.result.new_session_id)
    assert plan_step.status is Status.ERROR
    assert plan_step.attributes["agentreel.decision"] == "veto"


def test_replay_of_a_plan_replaced_as_output_reproduces_it(reel: Reel) -> None:
    hooks.register(Counting(Replace(output={"steps": ["s2 only"]})), name="swap")
    first: list[Any] = []
    sid = reel.record(lambda: agent(first))
    assert first == [("s1",), "did s1"]
    hooks.reset()
    RAN.clear()
    again: list[Any] = []
    with agentreel.replay(sid, db=reel.path) as r:
        agent(again)
    assert r.result.ok, r.result.divergences
    assert again == first
    assert RAN == []


def test_a_fork_at_the_plan_step_runs_the_rest_with_the_edited_plan(reel: Reel) -> None:
    first: list[Any] = []
    sid = reel.record(lambda: agent(first))
    assert first == [("s1", "s2", "s3"), "did s1", "did s2", "did s3"]
    RAN.clear()
    forked: list[Any] = []
    edit = Edit(input={"steps": [{"id": "s2", "agent": "fixer"}]})
    with agentreel.replay(sid, db=reel.path, fork_at=1, edit=edit) as r:
        agent(forked)
    assert forked == [("s2",), "did s2"]
    assert RAN == ["s2"]  # after the fork everything runs live
    assert r.result.new_session_id is not None
    plan_step = reel.steps(r.result.new_session_id)[0]
    assert Plan.from_json(reel.payload(plan_step.output_ref)).ids == ("s2",)
