"""The demo plans with agentreel.plan, carries the plan out with executing, under a budget."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentreel import hooks
from agentreel.demo import SCENARIOS, run_demo
from agentreel.demo._run import DEMO_BUDGET
from agentreel.hooks import Call, SessionEvent
from agentreel.reports import build_plan_report, plan_json
from agentreel.storage import SQLiteStore

from .conftest import Reel


class Watcher:
    """Notes which plugins guard each session, and every plan it is asked about."""

    def __init__(self) -> None:
        self.guards: list[list[str]] = []
        self.plans: list[Any] = []

    def on_session_start(self, event: SessionEvent) -> None:
        manager = hooks.get_manager()
        self.guards.append(sorted(type(p.obj).__name__ for p in manager.plugins))

    def before_plan(self, call: Call) -> None:
        self.plans.append(call.input)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], Watcher]:
    hooks.reset()
    watcher = Watcher()
    hooks.register(watcher, name="watcher")
    path = tmp_path_factory.mktemp("demo") / "reel.db"
    try:
        ids = run_demo(path)
        hooks.get_manager().drain()
    finally:
        hooks.reset()
    return path, ids, watcher


def test_the_demo_runs_under_a_budget_guard(demo_db: tuple[Path, list[str], Watcher]) -> None:
    _, ids, watcher = demo_db
    assert len(ids) == 3
    assert watcher.guards == [["Budget", "Watcher"]] * 3
    assert DEMO_BUDGET == 0.10
    # The plans the hooks were asked about are the scripted ones.
    assert [[s["agent"] for s in p["steps"]] for p in watcher.plans] == [
        ["investigator", "fixer", "verifier"],
        ["investigator", "fixer", "verifier"],
        ["investigator", "fixer", "reviewer", "verifier"],
    ]


def test_run_demo_takes_its_guard_away_again(tmp_path: Path) -> None:
    run_demo(tmp_path / "again.db")
    assert [p.name for p in hooks.get_manager().plugins] == []


def _report(path: Path, session_id: str) -> dict[str, Any]:
    store = SQLiteStore(path, create=False)
    try:
        return plan_json(build_plan_report(store, session_id))
    finally:
        store.close()


def test_the_plan_reports_of_the_demo(demo_db: tuple[Path, list[str], Watcher]) -> None:
    path, ids, _ = demo_db
    reports = {s.name: _report(path, i) for s, i in zip(SCENARIOS, ids, strict=True)}
    clean, flaky, spike = (reports[s.name]["plans"] for s in SCENARIOS)
    assert [c["followed"] for c in clean] == [True]
    assert [(p["id"], p["status"], p["steps"]) for p in clean[0]["planned"]] == [
        ("s1", "done", [4]),
        ("s2", "done", [10]),
        ("s3", "done", [16]),
    ]
    # The flaky run's verifier gives up: the one planned step that failed.
    assert flaky[0]["failed"] == [
        {
            "id": "s3",
            "step": 16,
            "error": "TaskFailed: s3 (verifier): the tests still fail: "
            "ModuleNotFoundError: No module named 'calc.ops'",
        }
    ]
    assert (flaky[0]["skipped"], flaky[0]["added"], flaky[0]["reordered"]) == ([], [], [])
    assert [c["followed"] for c in spike] == [True]


def _program(db: Path, scenario: str, *, budget: float | None = None) -> tuple[int, str]:
    """``python -m agentreel.demo.run SCENARIO`` as a real process, with an extra
    budget guard registered first when ``budget`` is given."""
    code = "import sys\n"
    if budget is not None:
        code += (
            "from agentreel import hooks\n"
            "from agentreel.guards import Budget\n"
            f"hooks.register(Budget(max_cost_per_session={budget}), name='tight')\n"
        )
    code += (
        "from agentreel.demo.run import main\n"
        "from agentreel import hooks\n"
        f"code = main([{scenario!r}, '--db', {str(db)!r}])\n"
        "print('left:', [p.name for p in hooks.get_manager().plugins])\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stderr == ""
    return done.returncode, done.stdout


def test_a_budget_veto_stops_the_demo_program(tmp_path: Path) -> None:
    # The cost spike's reviewer call is vetoed when the session may spend only a cent.
    db = tmp_path / "tight.db"
    code, out = _program(db, "refactor-with-cost-spike", budget=0.01)
    assert code == 1
    assert out.startswith("refactor-with-cost-spike: the agents were stopped: llm step 16 ")
    assert "was vetoed by tight: over the session budget" in out
    assert out.endswith("left: ['tight']\n")  # the demo took its own guard away
    store = SQLiteStore(db, create=False)
    try:
        (summary,) = store.list_sessions()
    finally:
        store.close()
    vetoed = [
        s for s in Reel(db).steps(summary.session.id) if s.attributes.get("agentreel.decision")
    ]
    assert [(s.number, s.attributes["agentreel.decision.hook"]) for s in vetoed] == [(16, "tight")]


def test_the_demo_program_finishes_under_its_own_budget(tmp_path: Path) -> None:
    code, out = _program(tmp_path / "ok.db", "fix-divide-by-zero")
    assert code == 0
    assert out.startswith("fix-divide-by-zero: done\n")
    assert out.endswith("left: []\n")
