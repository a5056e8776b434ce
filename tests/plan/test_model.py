"""The Plan artifact: checked when made, and read back from its JSON."""

from __future__ import annotations

import json

import pytest

from agentreel.errors import AgentreelError
from agentreel.model import InvalidPlan, Plan, PlanStep


def test_a_plan_round_trips_through_json() -> None:
    plan = Plan(
        goal="ship it",
        steps=(
            PlanStep(id="s1", description="look", agent="investigator"),
            PlanStep(id="s2", description="fix", agent="fixer", tool="edit_file"),
            PlanStep(id="s3", description="check", depends_on=("s1", "s2")),
        ),
    )
    doc = plan.to_json()
    assert doc == {
        "goal": "ship it",
        "steps": [
            {"id": "s1", "description": "look", "agent": "investigator"},
            {"id": "s2", "description": "fix", "agent": "fixer", "tool": "edit_file"},
            {"id": "s3", "description": "check", "depends_on": ["s1", "s2"]},
        ],
    }
    assert Plan.from_json(json.loads(json.dumps(doc))) == plan
    assert plan.ids == ("s1", "s2", "s3")
    assert plan.get("s2") == plan.steps[1]
    assert plan.get("s9") is None


def test_plans_are_read_from_the_shapes_agents_write() -> None:
    # A bare list, "task" for the description, "tasks" for the list, plain text items.
    assert Plan.from_json([{"id": "a", "task": "do a"}, "then b"]) == Plan(
        steps=(PlanStep(id="a", description="do a"), PlanStep(id="s2", description="then b"))
    )
    assert Plan.from_json({"tasks": [{"id": 7, "agent": "x", "depends_on": "6"}, {"id": 6}]}) == (
        Plan(steps=(PlanStep(id="7", agent="x", depends_on=("6",)), PlanStep(id="6")))
    )
    assert Plan.of(["one", PlanStep(id="p")], goal="g").ids == ("s1", "p")
    # A Plan itself, and what jsonable() makes of a Plan (a hook's Replace(input=Plan(...))).
    plan = Plan.of(["x"])
    assert Plan.from_json(plan) is plan
    dumped = {"steps": [{"id": "s1", "description": "x", "agent": None, "tool": None,
                         "depends_on": []}], "goal": ""}  # fmt: skip
    assert Plan.from_json(dumped) == plan


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "a plan needs at least one step"),
        ({"steps": []}, "a plan needs at least one step"),
        ({"goal": "g"}, 'a plan is written as {"steps": [...]}'),
        ("not a list", "a plan is a list of steps, not a value of type str"),
        ([{"id": "a"}, {"id": "a"}], "the plan has two steps with id 'a'; ids must differ"),
        ([{"id": ""}], "every plan step needs a non-empty id"),
        ([3], "plan step 1 is of type int"),
        ([{"id": "a", "depends_on": ["z"]}], "plan step 'a' depends on 'z', which the plan lacks"),
        ([{"id": "a", "depends_on": {"b": 1}}], "depends_on must be a list of step ids"),
        (
            [{"id": "a", "depends_on": ["c"]}, {"id": "b", "depends_on": ["a"]},
             {"id": "c", "depends_on": ["b"]}],
            "the plan's dependencies form a cycle: a -> c -> b -> a",
        ),
        ([{"id": "a", "depends_on": ["a"]}], "the plan's dependencies form a cycle: a -> a"),
    ],
)  # fmt: skip
def test_a_plan_that_cannot_be_carried_out_is_refused(value: object, message: str) -> None:
    with pytest.raises(InvalidPlan) as caught:
        Plan.from_json(value)
    assert message in str(caught.value)
    assert isinstance(caught.value, AgentreelError)
    assert isinstance(caught.value, ValueError)


def test_a_long_chain_of_dependencies_is_checked_without_recursion() -> None:
    steps = [{"id": "s0"}] + [{"id": f"s{i}", "depends_on": [f"s{i - 1}"]} for i in range(1, 5000)]
    assert len(Plan.from_json(steps).steps) == 5000
    steps[0] = {"id": "s0", "depends_on": ["s4999"]}
    with pytest.raises(InvalidPlan, match="form a cycle"):
        Plan.from_json(steps)


def test_plan_steps_must_be_plan_step_objects() -> None:
    with pytest.raises(InvalidPlan, match=r"use Plan\.of\(\)"):
        Plan(steps=({"id": "a"},))  # type: ignore[arg-type]
