"""Reports on the demo's sessions: a recurring tool failure, a clean run, a cost spike."""

from __future__ import annotations

import time

import pytest

from agentreel.model import Status, Step, StepKind
from agentreel.reports import (
    PostmortemReport,
    build_postmortem,
    build_rca,
    postmortem_markdown,
    rca_markdown,
)

from .conftest import Demo

FLAKY, CLEAN, SPIKE = "fix-flaky-import", "fix-divide-by-zero", "refactor-with-cost-spike"


def _failed_run_tests(demo: Demo) -> list[Step]:
    steps = demo.store.get_steps(demo.ids[FLAKY])
    return [s for s in steps if s.name == "run_tests" and s.status is Status.ERROR]


def test_rca_names_the_failing_tool_step(demo: Demo) -> None:
    report = build_rca(demo.store, demo.ids[FLAKY])
    first, again = _failed_run_tests(demo)
    assert report.verdict == "failed"
    assert report.failing_step is not None
    step = report.failing_step.step
    assert (step.number, step.kind, step.name) == (first.number, "tool", "run_tests")
    assert step.error is not None and step.error.type == "ModuleNotFoundError"
    assert report.failing_step.input == {"path": "tests/test_arith.py"}
    # The verifier's run fails the same way, and the verifier agent passes it on.
    assert [f.step.number for f in report.other_failures] == [again.number]
    assert [s.name for s in report.other_failures[0].propagated_by] == ["verifier"]


def test_rca_finds_the_model_call_that_asked_for_it(demo: Demo) -> None:
    report = build_rca(demo.store, demo.ids[FLAKY])
    first = _failed_run_tests(demo)[0]
    steps = demo.store.get_steps(demo.ids[FLAKY])
    asked = max(s.number for s in steps if s.kind is StepKind.LLM and s.number < first.number)
    cause = report.cause
    assert cause is not None
    assert (cause.llm_step.number, cause.match, cause.tool_call_name) == (
        asked,
        "arguments",
        "run_tests",
    )
    assert cause.context is not None
    assert cause.context.system_head is not None
    assert cause.context.system_head.startswith("You are the investigator agent")
    assert cause.context.last_user is not None and "Your step is s1" in cause.context.last_user
    assert cause.context.tools_offered == ("run_tests", "read_file", "search_code")


def test_rca_names_the_recurring_failure(demo: Demo) -> None:
    report = build_rca(demo.store, demo.ids[FLAKY])
    numbers = tuple(s.number for s in _failed_run_tests(demo))
    hits = [h for h in report.recurring if h.group.tool == "run_tests"]
    assert len(hits) == 1
    assert hits[0].group.count == 2
    assert hits[0].group.sessions == (demo.ids[FLAKY],)
    assert hits[0].steps == numbers


def test_rca_compares_with_the_clean_run_and_says_what_to_run(demo: Demo) -> None:
    report = build_rca(demo.store, demo.ids[FLAKY])
    sid = demo.ids[FLAKY][:12]
    first = _failed_run_tests(demo)[0]
    assert report.cause is not None
    asked = report.cause.llm_step.number
    assert report.comparison is not None
    assert report.comparison.other.id == demo.ids[CLEAN]
    commands = [c.command for c in report.next_commands]
    assert commands[:4] == [
        f"agentreel show {sid} --step {first.number}",
        f"agentreel debug {sid} --step {asked}",
        f"agentreel replay {sid} --fork-at {asked}",
        f"agentreel diff {demo.ids[CLEAN][:12]} {sid}",
    ]
    text = rca_markdown(report)
    assert f"Step {first.number} (tool `run_tests` in investigator) failed with:" in text
    assert f"The model call at step {asked} (llm `chat.completions.create` in investigator)" in text
    assert "## Recurring failures" in text
    for command in commands:
        assert f"- `{command}`: " in text


def test_rca_of_the_clean_session_says_so(demo: Demo) -> None:
    report = build_rca(demo.store, demo.ids[CLEAN])
    assert report.verdict == "clean"
    assert (report.failing_step, report.cause, report.comparison) == (None, None, None)
    text = rca_markdown(report)
    assert (
        "**Clean.** Session fix-divide-by-zero ended ok with no failure and no detector warning."
        in text
    )
    assert "## Failing step" not in text


@pytest.fixture(scope="module")
def postmortem(demo: Demo) -> PostmortemReport:
    return build_postmortem(demo.store, since=time.time_ns() - 86_400 * 10**9)


def test_postmortem_counts_sessions_and_success(demo: Demo, postmortem: PostmortemReport) -> None:
    assert (postmortem.sessions, postmortem.ok, postmortem.failed) == (3, 2, 1)
    assert postmortem.success_rate == pytest.approx(2 / 3)
    text = postmortem_markdown(postmortem)
    assert "3 sessions: 2 ok, 1 failed; success rate 67% (2/3 ended ok)." in text


def test_postmortem_costs_by_model(demo: Demo, postmortem: PostmortemReport) -> None:
    expected: dict[str, float] = {}
    for sid in demo.ids.values():
        for step in demo.store.get_steps(sid):
            if step.model is not None:
                expected[step.model] = expected.get(step.model, 0.0) + (step.cost or 0.0)
    got = {b.key: b.cost for b in postmortem.by_model}
    assert got == pytest.approx(expected)
    assert set(got) == {"claude-sonnet-4-5", "gpt-4o-mini", "gpt-4.1"}
    # Most expensive first: the cost spike's model.
    assert postmortem.by_model[0].key == "gpt-4.1"
    assert sum(b.cost for b in postmortem.by_day) == pytest.approx(sum(expected.values()))


def test_postmortem_lists_the_recurring_failure_with_its_session(
    demo: Demo, postmortem: PostmortemReport
) -> None:
    failures = [r for r in postmortem.recurring if r.group.tool == "run_tests"]
    assert len(failures) == 1
    assert failures[0].sessions == ((demo.ids[FLAKY], FLAKY),)
    text = postmortem_markdown(postmortem)
    assert f"Sessions: {FLAKY} (`{demo.ids[FLAKY][:12]}`)." in text


def test_postmortem_shows_the_cost_spike(demo: Demo, postmortem: PostmortemReport) -> None:
    spiked = {f.session_id for f in postmortem.cost_anomalies}
    assert demo.ids[SPIKE] in spiked
    assert demo.ids[CLEAN] not in spiked
    text = postmortem_markdown(postmortem)
    assert f"| `{demo.ids[SPIKE][:12]}` |" in text.split("## Cost anomalies")[1]


def test_postmortem_says_no_guard_vetoed(postmortem: PostmortemReport) -> None:
    assert postmortem.vetoes == ()
    assert "None recorded: no guardrail or hook step recorded a veto." in postmortem_markdown(
        postmortem
    )
