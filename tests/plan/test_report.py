"""The plan-vs-execution report: skipped, added, reordered and failed planned steps."""

from __future__ import annotations

import json
from typing import Any

import agentreel
from agentreel import hooks
from agentreel.errors import StepVetoed
from agentreel.hooks import Call, Replace, Veto
from agentreel.model import Plan
from agentreel.reports import build_plan_report, plan_json, plan_markdown
from agentreel.storage import SQLiteStore

from .conftest import Reel

PLAN = Plan.of(
    [
        {"id": "s1", "description": "Find the bug", "agent": "investigator"},
        {"id": "s2", "description": "Fix it", "agent": "fixer"},
        {"id": "s3", "description": "Run the tests", "agent": "verifier", "depends_on": ["s2"]},
        {"id": "s4", "description": "Review *the* change", "agent": "reviewer"},
    ],
    goal="Green tests",
)


def _agent(step_id: str, name: str, *, fail: str | None = None) -> None:
    with agentreel.executing(step_id):
        try:
            with agentreel.step("agent", name):
                with agentreel.step("llm", "chat"):
                    pass
                if fail is not None:
                    raise RuntimeError(fail)
        except RuntimeError:
            pass


def deviating() -> None:
    """s3 runs before s2 (its dependency) and fails; s5 is not in the plan; s4 never runs."""
    plan = agentreel.plan(PLAN)
    assert plan == PLAN
    _agent("s1", "investigator")
    _agent("s3", "verifier", fail="2 tests fail")
    _agent("s2", "fixer")
    _agent("s5", "helper")


def following() -> None:
    for item in agentreel.plan(PLAN).steps:
        _agent(item.id, str(item.agent))


def _markdown(reel: Reel, sid: str) -> str:
    store = SQLiteStore(reel.path, create=False)
    try:
        return plan_markdown(build_plan_report(store, sid))
    finally:
        store.close()


def _json(reel: Reel, sid: str) -> dict[str, Any]:
    store = SQLiteStore(reel.path, create=False)
    try:
        return plan_json(build_plan_report(store, sid))
    finally:
        store.close()


def test_a_run_that_departs_from_its_plan(reel: Reel) -> None:
    sid = reel.record(deviating, name="departs")
    assert (
        _markdown(reel, sid)
        == f"""\
# Plan vs execution: departs ({sid[:12]}, ok)

## Plan at step 1 (plan)

4 planned steps, no hook decided on it.
Goal: Green tests

| Plan step | Agent | Description | After | Status | Steps |
| --- | --- | --- | --- | --- | --- |
| s1 | investigator | Find the bug |  | done | 2 |
| s2 | fixer | Fix it |  | done | 6 |
| s3 | verifier | Run the tests | s2 | failed | 4 |
| s4 | reviewer | Review \\*the\\* change |  | skipped | - |

### Skipped

- s4 (reviewer): no step carried it out

### Added

- step 8 (agent helper, ok) carries out s5, which the plan lacks

### Reordered

- s3 (step 4) started before s2, which the plan puts before it; \
started before its dependency s2 had finished

### Failed

- s3 (verifier) at step 4: RuntimeError: 2 tests fail
"""
    )


def test_the_report_as_json(reel: Reel) -> None:
    sid = reel.record(deviating, name="departs")
    doc = _json(reel, sid)
    assert doc["format"] == "agentreel.plan/1"
    assert doc["session"] == {"id": sid, "name": "departs", "status": "ok"}
    (check,) = doc["plans"]
    assert check["step"] == 1
    assert check["decision"] is None
    assert check["followed"] is False
    assert [(p["id"], p["status"], p["steps"]) for p in check["planned"]] == [
        ("s1", "done", [2]),
        ("s2", "done", [6]),
        ("s3", "failed", [4]),
        ("s4", "skipped", []),
    ]
    assert check["skipped"] == ["s4"]
    assert check["added"] == [
        {"id": "s5", "step": 8, "kind": "agent", "name": "helper", "status": "ok"}
    ]
    assert check["reordered"] == [
        {
            "id": "s3",
            "step": 4,
            "reasons": [
                "started before s2, which the plan puts before it",
                "started before its dependency s2 had finished",
            ],
        }
    ]
    assert check["failed"] == [{"id": "s3", "step": 4, "error": "RuntimeError: 2 tests fail"}]
    json.dumps(doc)  # plain JSON all the way down


def test_a_run_that_follows_its_plan(reel: Reel) -> None:
    sid = reel.record(following, name="follows")
    text = _markdown(reel, sid)
    assert text.endswith(
        "| s4 | reviewer | Review \\*the\\* change |  | done | 8 |\n\n"
        "The execution followed the plan.\n"
    )
    assert _json(reel, sid)["plans"][0]["followed"] is True


def test_retries_and_a_dependency_that_never_ran(reel: Reel) -> None:
    def run() -> None:
        agentreel.plan(steps=["a", {"id": "b", "depends_on": ["s1"]}])
        _agent("s1", "x", fail="flaky")
        _agent("s1", "x")  # the retry succeeds: s1 is done, in two attempts
        _agent("b", "y", fail="again")
        _agent("b", "y", fail="and again")

    sid = reel.record(run)
    (check,) = _json(reel, sid)["plans"]
    assert [(p["id"], p["status"], p["steps"]) for p in check["planned"]] == [
        ("s1", "done", [2, 4]),
        ("b", "failed", [6, 8]),
    ]
    assert check["reordered"] == []
    assert check["failed"] == [{"id": "b", "step": 8, "error": "RuntimeError: and again"}]

    def early() -> None:
        agentreel.plan(steps=["a", {"id": "b", "depends_on": ["s1"]}])
        _agent("b", "y")

    (check,) = _json(reel, reel.record(early))["plans"]
    assert check["skipped"] == ["s1"]
    assert check["reordered"] == [
        {"id": "b", "step": 2, "reasons": ["started although its dependency s1 never ran"]}
    ]


class Decide:
    def __init__(self, decision: Any) -> None:
        self.decision = decision

    def before_plan(self, call: Call) -> Any:
        return self.decision


def test_the_report_says_what_hooks_decided(reel: Reel) -> None:
    hooks.register(Decide(Replace(input=PLAN.steps[:1], reason="one step at a time")), name="ed")
    sid = reel.record(following, name="edited")
    text = _markdown(reel, sid)
    assert "1 planned step, edited by ed: one step at a time.\n" in text
    assert text.endswith("The execution followed the plan.\n")

    hooks.reset()
    hooks.register(Decide(Veto("no budget left")), name="gate")

    def rejected() -> None:
        try:
            following()
        except StepVetoed:
            pass

    text = _markdown(reel, reel.record(rejected, name="rejected"))
    assert "4 planned steps, rejected by gate: no budget left.\n" in text
    assert "- s1 (investigator): no step carried it out\n" in text


def test_several_plans_each_govern_the_steps_after_them(reel: Reel) -> None:
    def run() -> None:
        agentreel.plan(["first"])
        _agent("s1", "a")
        agentreel.plan(["again", "more"], name="replan")
        _agent("s1", "b")
        # A step that names its plan step explicitly, without agentreel.executing.
        with agentreel.step("agent", "c", attributes={"plan_step": "s2"}):
            pass

    doc = _json(reel, reel.record(run))
    assert [(c["step"], c["name"], [p["steps"] for p in c["planned"]]) for c in doc["plans"]] == [
        (1, "plan", [[2]]),
        (4, "replan", [[5], [7]]),
    ]


def test_sessions_without_a_readable_plan(reel: Reel) -> None:
    sid = reel.record(lambda: agentreel.event("nothing planned"), name="none")
    assert _markdown(reel, sid) == (
        f"# Plan vs execution: none ({sid[:12]}, ok)\n\n"
        "The session recorded no plan (no `plan` step).\n"
    )

    @agentreel.plan
    def make() -> int:
        return 42

    sid = reel.record(make, name="odd")
    assert _markdown(reel, sid).endswith(
        "## Plan at step 1 (make)\n\n"
        "the plan of step 1 cannot be read: a plan is a list of steps, not a value of type int\n"
    )


def test_agentreel_plan_on_the_command_line(reel: Reel) -> None:
    sid = reel.record(deviating, name="departs")
    code, out, err = reel.cli("plan", sid[:8])
    assert (code, err) == (0, "")
    assert out == _markdown(reel, sid)
    code, out, err = reel.cli("plan", sid, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == _json(reel, sid)
    code, out, err = reel.cli("plan", "ffffffff")
    assert (code, out) == (1, "")
    assert err.startswith("agentreel: error: no session matches 'ffffffff'")
