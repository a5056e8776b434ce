"""The demo's sessions: the recurring tool failure and the cost spike, at the right steps."""

from __future__ import annotations

from agentreel.detectors import analyze, recurring_failures

from .conftest import Demo


def _found(demo: Demo, name: str) -> set[tuple[str, str, tuple[int, ...]]]:
    report = analyze(demo.store, demo.ids[name])
    return {(f.detector, f.kind, f.steps) for f in report.findings}


def test_the_clean_run_has_no_findings(demo: Demo) -> None:
    assert _found(demo, "fix-divide-by-zero") == set()


def test_the_tool_failure_that_comes_back_is_found_at_steps_6_and_18(demo: Demo) -> None:
    assert _found(demo, "fix-flaky-import") == {("recurring-failure", "recurring", (6, 18))}
    finding = analyze(demo.store, demo.ids["fix-flaky-import"]).findings[0]
    assert finding.evidence["tool"] == "run_tests"
    assert finding.evidence["error_type"] == "ModuleNotFoundError"
    assert finding.evidence["episodes"] == 2
    assert "steps 6 and 18" in finding.message


def test_the_cost_spike_is_found_at_step_16(demo: Demo) -> None:
    assert _found(demo, "refactor-with-cost-spike") == {("cost-spike", "step-cost", (16,))}
    finding = analyze(demo.store, demo.ids["refactor-with-cost-spike"]).findings[0]
    assert finding.evidence["tokens"] > 19_000
    assert finding.evidence["role"] == "reviewer/chat.completions.create"


def test_three_sessions_are_too_few_for_a_session_baseline(demo: Demo) -> None:
    report = analyze(demo.store, demo.ids["refactor-with-cost-spike"])
    assert any("earlier session" in line and "need 5" in line for line in report.unchecked)


def test_the_demo_failure_groups_across_the_store(demo: Demo) -> None:
    groups = recurring_failures(demo.store)
    assert [(g.tool, g.error_type, g.count) for g in groups] == [
        ("run_tests", "ModuleNotFoundError", 2)
    ]
    assert groups[0].sessions == (demo.ids["fix-flaky-import"],)
    assert groups[0].message == "No module named '<v>'"
    assert groups[0].first_seen < groups[0].last_seen
