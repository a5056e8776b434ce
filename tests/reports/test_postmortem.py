"""The postmortem's sums, days, guard vetoes and bounds, on sessions built to order."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentreel.model import Status
from agentreel.reports import build_postmortem, postmortem_json, postmortem_markdown
from agentreel.reports._postmortem import find_veto
from agentreel.storage import SQLiteStore

from ._build import DAY, MS, T0, S, batch, err, write

ONE, TWO, THREE, RUNNING, ELSEWHERE = ("a1" * 16, "b2" * 16, "c3" * 16, "d4" * 16, "e5" * 16)


def _llm(model: str | None, tokens: tuple[int, int], cost: float, parent: int | None = 1) -> S:
    return S(kind="llm", name="chat", parent=parent, model=model, tokens=tokens, cost=cost)


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    day_ms = DAY // MS
    write(
        tmp_path / "reel.db",
        batch(
            ONE,
            "one",
            [S(kind="agent", name="planner"), _llm("m-big", (1000, 100), 0.5)],
            project="p",
        ),
        batch(
            TWO,
            "two",
            [
                S(kind="agent", name="worker"),
                _llm("m-small", (100, 10), 0.01),
                S(
                    kind="guardrail",
                    name="budget",
                    parent=1,
                    attributes={
                        "agentreel.decision": "veto",
                        "agentreel.decision.reason": "over budget",
                    },
                ),
                S(kind="hook", name="confirm", parent=1, attributes={"veto": True}),
                S(kind="guardrail", name="pii", parent=1, attributes={"decision": "allow"}),
                S(kind="tool", name="deploy", parent=1, status="error", error=err("E", "boom")),
            ],
            project="p",
            offset_ms=2 * day_ms,
        ),
        batch(
            THREE,
            "three",
            [_llm(None, (50, 5), 0.0, parent=None)],
            project="p",
            offset_ms=2 * day_ms + 1000,
        ),
        batch(
            RUNNING,
            "running",
            [S(kind="agent", name="worker")],
            project="p",
            status=Status.RUNNING,
            offset_ms=2 * day_ms + 2000,
        ),
        batch(ELSEWHERE, "elsewhere", [_llm("m-big", (1, 1), 9.0, parent=None)], project="q"),
    )
    return SQLiteStore(tmp_path / "reel.db", create=False)


def test_counts_and_success_rate(store: SQLiteStore) -> None:
    report = build_postmortem(store, since=T0 - DAY // 2, project="p", now=T0 + 3 * DAY)
    assert (report.sessions, report.ok, report.failed, report.running) == (4, 2, 1, 1)
    # Only ended sessions count: 2 of 3.
    assert report.success_rate == pytest.approx(2 / 3)
    assert report.cost == pytest.approx(0.51)


def test_days_are_utc_and_gaps_are_listed(store: SQLiteStore) -> None:
    report = build_postmortem(store, since=T0 - DAY // 2, project="p", now=T0 + 3 * DAY)
    assert [(b.key, b.sessions, round(b.cost, 4)) for b in report.by_day] == [
        ("2025-01-02", 1, 0.5),
        ("2025-01-03", 0, 0.0),
        ("2025-01-04", 3, 0.01),
        ("2025-01-05", 0, 0.0),
    ]


def test_models_and_agents(store: SQLiteStore) -> None:
    report = build_postmortem(store, since=T0 - DAY // 2, project="p", now=T0 + 3 * DAY)
    assert [(b.key, b.sessions, b.calls, b.usage.total) for b in report.by_model] == [
        ("m-big", 1, 1, 1100),
        ("m-small", 1, 1, 110),
        ("(no model recorded)", 1, 1, 55),
    ]
    assert [(b.key, b.calls) for b in report.by_agent] == [
        ("planner", 1),
        ("worker", 1),
        ("(no agent)", 1),
    ]


def test_guard_vetoes(store: SQLiteStore) -> None:
    report = build_postmortem(store, since=T0 - DAY // 2, project="p", now=T0 + 3 * DAY)
    assert report.guard_steps == 3
    assert [(v.session_id, v.step, v.kind, v.name, v.reason) for v in report.vetoes] == [
        (TWO, 3, "guardrail", "budget", "over budget"),
        (TWO, 4, "hook", "confirm", None),
    ]
    text = postmortem_markdown(report)
    assert "| `b2b2b2b2b2b2` | two | 3 | guardrail | budget | over budget |" in text
    assert postmortem_json(report)["guards"]["steps"] == 3


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"agentreel.decision": "veto", "agentreel.decision.reason": "why"}, (True, "why")),
        ({"guard.decision": "VETO"}, (True, None)),
        ({"veto": True, "veto_reason": "r"}, (True, "r")),
        ({"decision": "allow", "reason": "fine"}, (False, None)),
        ({"veto": "yes"}, (False, None)),
        ({}, (False, None)),
    ],
)
def test_what_counts_as_a_veto(attributes: dict[str, object], expected: object) -> None:
    assert find_veto(attributes) == expected


def test_no_guard_steps_says_none_recorded(store: SQLiteStore) -> None:
    report = build_postmortem(store, project="q", now=T0 + 3 * DAY)
    assert (report.guard_steps, report.vetoes) == (0, ())
    assert "None recorded: no guardrail or hook step recorded a veto.\n" in postmortem_markdown(
        report
    )


def test_the_bounds_are_said(store: SQLiteStore) -> None:
    report = build_postmortem(
        store, since=T0 - DAY // 2, project="p", now=T0 + 3 * DAY, analysis_limit=1, scan_limit=2
    )
    assert (report.analyzed, report.not_analyzed, report.scanned, report.not_scanned) == (
        1,
        3,
        2,
        2,
    )
    text = postmortem_markdown(report)
    assert (
        "Detectors ran on the newest 1 sessions of the period; 3 older ones were not analysed."
        in text
    )
    assert (
        "Model and agent totals cover the steps of the newest 2 sessions; "
        "2 older ones were not read." in text
    )
    # The newest two are the running one and "three": neither has a priced model.
    assert {b.key for b in report.by_model} == {"(no model recorded)"}


def test_every_project_without_project(store: SQLiteStore) -> None:
    report = build_postmortem(store, now=T0 + 3 * DAY)
    assert report.sessions == 5
    assert report.by_model[0].key == "m-big"
    assert report.by_model[0].cost == pytest.approx(9.5)
    assert postmortem_markdown(report).startswith("# Postmortem: all projects\n\nFrom the first")


def test_a_failure_hitting_many_sessions_names_ten(tmp_path: Path) -> None:
    boom = err("ConnectionError", "host db-7 unreachable")
    sessions = [
        batch(
            f"{n:02x}" * 16,
            f"run-{n}",
            [S(kind="tool", name="query", status="error", error=boom)],
            offset_ms=n * 1000,
        )
        for n in range(12)
    ]
    store = SQLiteStore(write(tmp_path / "reel.db", *sessions), create=False)
    report = build_postmortem(store, now=T0 + DAY)
    (failure,) = report.recurring
    assert failure.group.count == 12 and len(failure.sessions) == 12
    text = postmortem_markdown(report)
    listed = ", ".join(f"run-{n} (`{n:02x}{n:02x}{n:02x}{n:02x}{n:02x}{n:02x}`)" for n in range(10))
    assert f"   Sessions: {listed} and 2 more.\n" in text
    assert len(postmortem_json(report)["recurring"]["groups"][0]["sessions"]) == 12
