"""What ``run_demo`` records: three sessions, read back from a real SQLite file."""

from __future__ import annotations

import itertools
import statistics
import time
from pathlib import Path

from agentreel.demo import SCENARIOS, run_demo
from agentreel.model import Status, StepKind
from agentreel.storage import MemoryStore, SQLiteStore

from ._read import Demo, payload, read_sessions, structure

NAMES = ["fix-divide-by-zero", "fix-flaky-import", "refactor-with-cost-spike"]


def test_three_sessions_with_names_tags_metadata_and_statuses(demo: Demo) -> None:
    assert demo.store.count_sessions() == 3
    assert [demo.store.get_session(i).name for i in demo.ids] == NAMES
    expected_status = {
        "fix-divide-by-zero": Status.OK,
        "fix-flaky-import": Status.ERROR,
        "refactor-with-cost-spike": Status.OK,
    }
    for name, recorded in demo.sessions.items():
        session = recorded.session
        assert session.status is expected_status[name]
        assert session.tags == ("demo", name)
        assert session.metadata["repo"] == "calc"
        assert session.metadata["scenario"] == name
        assert session.ended_at is not None


def test_every_session_is_planner_then_the_planned_agents(demo: Demo) -> None:
    for recorded in demo.sessions.values():
        (plan_step,) = recorded.by_kind(StepKind.PLAN)
        plan = payload(demo.store, plan_step.output_ref)
        planned = [(s["id"], s["agent"]) for s in plan["steps"]]
        assert [s["id"] for s in plan["steps"]] == [f"s{i}" for i in range(1, len(planned) + 1)]
        assert all(s["description"] for s in plan["steps"])
        agents = recorded.by_kind(StepKind.AGENT)
        assert agents[0].name == "planner"
        assert [(a.attributes["plan_step"], a.name) for a in agents[1:]] == planned
        # The planner asks the model, then records the plan (agentreel.plan),
        # which the planned agents carry out (agentreel.executing).
        call, recorded_plan = [s for s in recorded.steps if s.parent_number == agents[0].number]
        assert (call.kind, recorded_plan) == (StepKind.LLM, plan_step)
        assert payload(demo.store, plan_step.input_ref) == plan
        for agent in agents[1:]:
            assert agent.attributes["agentreel.plan"] == plan_step.number
            inside = [s for s in recorded.steps if s.parent_number == agent.number]
            assert inside
            assert all(s.attributes["plan_step"] == agent.attributes["plan_step"] for s in inside)


def test_the_plan_of_the_clean_run_lists_investigate_fix_verify(demo: Demo) -> None:
    (plan_step,) = demo.sessions["fix-divide-by-zero"].by_kind(StepKind.PLAN)
    plan = payload(demo.store, plan_step.output_ref)
    assert [s["agent"] for s in plan["steps"]] == ["investigator", "fixer", "verifier"]
    assert "test_divide_by_zero" in plan["goal"]


def test_model_calls_carry_models_usage_costs_and_the_growing_conversation(demo: Demo) -> None:
    for recorded in demo.sessions.values():
        calls = recorded.by_kind(StepKind.LLM)
        assert len(calls) >= 7
        for call in calls:
            assert call.model in {"claude-sonnet-4-5", "gpt-4o-mini", "gpt-4.1"}
            assert call.usage.input > 0
            assert call.usage.output > 0
            assert call.cost is not None
            assert call.cost > 0
            response = payload(demo.store, call.output_ref)
            assert response["model"] == call.model
        by_agent: dict[int | None, list[list[object]]] = {}
        for call in calls:
            request = payload(demo.store, call.input_ref)
            if "system" not in request:  # OpenAI-shaped: the system prompt is a message
                assert request["messages"][0]["role"] == "system"
            by_agent.setdefault(call.parent_number, []).append(request["messages"])
        for conversations in by_agent.values():
            for before, after in itertools.pairwise(conversations):
                assert len(after) > len(before)
                assert after[: len(before)] == before


def test_tools_act_on_the_repository(demo: Demo) -> None:
    recorded = demo.sessions["fix-divide-by-zero"]
    first, last = recorded.named("run_tests")
    before = payload(demo.store, first.output_ref)
    after = payload(demo.store, last.output_ref)
    assert before["summary"] == "1 failed, 2 passed"
    assert before["failed"] == [
        {
            "test": "tests/test_arith.py::test_divide_by_zero",
            "error": "ZeroDivisionError: division by zero",
        }
    ]
    assert after["summary"] == "3 passed"
    assert after["failed"] == []
    (edit,) = recorded.named("edit_file")
    assert first.number < edit.number < last.number
    assert payload(demo.store, edit.input_ref)["path"] == "calc/arith.py"
    assert all(s.status is Status.OK for s in recorded.steps)


def test_the_same_tool_failure_comes_back(demo: Demo) -> None:
    recorded = demo.sessions["fix-flaky-import"]
    failed_tools = [
        s for s in recorded.steps if s.kind is StepKind.TOOL and s.status is Status.ERROR
    ]
    assert len(failed_tools) == 2
    first, again = failed_tools
    assert first.name == again.name == "run_tests"
    assert first.error is not None
    assert again.error is not None
    assert (first.error.type, first.error.message) == (again.error.type, again.error.message)
    assert first.error.type == "ModuleNotFoundError"
    assert first.error.message == "No module named 'calc.ops'"
    assert first.number < again.number
    # Different agents hit it: the fix in between did not change the outcome.
    parents = {s.number: s for s in recorded.steps}
    assert parents[first.parent_number].name == "investigator"  # type: ignore[index]
    assert parents[again.parent_number].name == "verifier"  # type: ignore[index]
    (edit,) = recorded.named("edit_file")
    assert first.number < edit.number < again.number
    session = recorded.session
    assert session.error is not None
    assert "No module named 'calc.ops'" in session.error.message


def test_one_model_call_costs_far_more_than_the_others(demo: Demo) -> None:
    calls = demo.sessions["refactor-with-cost-spike"].by_kind(StepKind.LLM)
    spike = max(calls, key=lambda s: s.cost or 0.0)
    others = [s.cost or 0.0 for s in calls if s is not spike]
    assert spike.cost is not None
    assert spike.cost > 5 * statistics.median(others)
    assert spike.usage.input > 20 * statistics.median(s.usage.input for s in calls)
    # Its own model is the one the other workers use: the context made the difference.
    assert spike.model == "gpt-4.1"
    request = payload(demo.store, spike.input_ref)
    assert "=== calc/units.py ===" in request["messages"][1]["content"]


def test_a_second_run_records_the_same_sessions(demo: Demo, tmp_path: Path) -> None:
    ids = run_demo(tmp_path / "again.db")
    assert set(ids).isdisjoint(demo.ids)
    store = SQLiteStore(tmp_path / "again.db", create=False)
    try:
        assert structure(store, ids) == structure(demo.store, demo.ids)
    finally:
        store.close()


def test_run_demo_records_into_a_store_object() -> None:
    store = MemoryStore()
    ids = run_demo(store)
    sessions = read_sessions(store, ids)
    assert list(sessions) == [s.name for s in SCENARIOS]
    assert sum(len(r.steps) for r in sessions.values()) > 50


def test_the_demo_is_quick(tmp_path: Path) -> None:
    started = time.perf_counter()
    run_demo(tmp_path / "timed.db")
    assert time.perf_counter() - started < 2.0
