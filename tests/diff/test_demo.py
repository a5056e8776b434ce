"""The demo's sessions diffed: two scenarios, and the same scenario recorded twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentreel.demo import SCENARIOS, run_demo
from agentreel.diff import diff_sessions
from agentreel.storage import SQLiteStore

from ._run import run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("demo") / "reel.db"
    ids = run_demo(path)
    return path, {s.name: i for s, i in zip(SCENARIOS, ids, strict=True)}


def test_two_scenarios_diverge_where_their_tasks_do(demo: tuple[Path, dict[str, str]]) -> None:
    path, ids = demo
    store = SQLiteStore(path, create=False)
    try:
        result = diff_sessions(store, ids["fix-divide-by-zero"], ids["fix-flaky-import"])
    finally:
        store.close()

    first = result.first_divergence
    assert first is not None and first.a is not None and first.b is not None
    # The planner was given another task: that is where the runs part.
    assert (first.a.number, first.b.number, first.a.name) == (1, 1, "planner")
    assert first.changes[0].path == "input.task"
    # The same agents ran the same kinds of steps, except that the
    # investigator searched the code where the other one read a file.
    shape = [
        (p.status, p.a and p.a.number, p.b and p.b.number, (p.a or p.b).name)  # type: ignore[union-attr]
        for p in result.pairs
        if p.status in ("added", "removed")
    ]
    assert shape == [("removed", 8, None, "read_file"), ("added", None, 8, "search_code")]
    assert all(p.a.number == p.b.number for p in result.pairs if p.a and p.b)
    tests = result.pairs[5]
    assert tests.a is not None and tests.a.name == "run_tests"
    assert [c.path for c in tests.changes] == ["output", "status", "error"]


def test_the_demo_recorded_twice_is_the_same(
    demo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, ids = demo
    again = tmp_path / "again.db"
    other_ids = run_demo(again)
    first, second = SQLiteStore(path, create=False), SQLiteStore(again, create=False)
    try:
        for scenario, other in zip(SCENARIOS, other_ids, strict=True):
            result = diff_sessions(first, ids[scenario.name], other, store_b=second)
            assert result.identical, scenario.name
            assert result.counts["same"] == result.a.step_count
    finally:
        first.close()
        second.close()


def test_the_command_on_the_demo(demo: tuple[Path, dict[str, str]]) -> None:
    path, ids = demo
    run = run_cli(path, "diff", ids["fix-divide-by-zero"][:8], ids["fix-flaky-import"][:8])
    assert run.exit_code == 1
    lines = run.text.splitlines()
    assert lines[3] == "0 same, 18 changed, 1 added, 1 removed"
    assert (
        lines[4]
        == "First divergence: A step 1 ↔ B step 1, agent planner changed (input.task, output.goal)"
    )
