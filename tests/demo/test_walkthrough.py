"""docs/walkthrough.md, run for real: record, replay, a variant, a fork, a diff."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentreel.model import Status
from agentreel.storage import SQLiteStore

AGENTREEL = Path(sys.executable).with_name("agentreel")
PROGRAM = [sys.executable, "-m", "agentreel.demo.run", "fix-flaky-import"]
GREEN = {
    "paths": ["tests/test_arith.py"],
    "summary": "3 passed",
    "passed": ["test_add", "test_divide", "test_divide_by_zero"],
    "failed": [],
}


def _agentreel(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AGENTREEL), "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=db.parent,
        check=False,
    )


def _json(db: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = _agentreel(db, *args)
    return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The walkthrough's commands in order, with their exit codes and JSON."""
    db = tmp_path_factory.mktemp("walkthrough") / "reel.db"
    green = db.with_name("green.json")
    green.write_text(json.dumps(GREEN))
    rc, recorded = _json(db, "record", "--json", "--", *PROGRAM)
    original = recorded["session_id"]
    same = _json(db, "replay", original, "--json", "--", *PROGRAM)
    variant = _json(db, "replay", original, "--json", "--", *PROGRAM, "--variant", "gpt-4.1")
    fork = _json(
        db, "replay", original, "--fork-at", "18", "--output-json", str(green), "--json", "--",
        *PROGRAM,
    )  # fmt: skip
    diff = _agentreel(db, "diff", original, fork[1]["new_session_id"])
    return {
        "db": db,
        "record": (rc, recorded),
        "same": same,
        "variant": variant,
        "fork": fork,
        "diff": diff,
    }


def _status(db: Path, session_id: str) -> Status:
    store = SQLiteStore(db, create=False)
    try:
        return store.get_session(session_id).status
    finally:
        store.close()


def test_the_recorded_run_fails_as_the_demo_does(walk: dict[str, Any]) -> None:
    rc, recorded = walk["record"]
    assert (rc, recorded["exit_code"]) == (1, 1)
    assert _status(walk["db"], recorded["session_id"]) is Status.ERROR


def test_an_unchanged_replay_matches(walk: dict[str, Any]) -> None:
    rc, result = walk["same"]
    assert (rc, result["ok"], result["divergences"], result["live"]) == (0, True, [], 0)


def test_the_variant_diverges_at_the_first_worker_model_call(walk: dict[str, Any]) -> None:
    rc, result = walk["variant"]
    assert rc == 1
    [divergence] = result["divergences"]
    assert (divergence["kind"], divergence["recorded_step"]) == ("mismatch", 5)
    [change] = divergence["changes"]
    assert (change["path"], change["before"], change["after"]) == (
        "input.model",
        "gpt-4o-mini",
        "gpt-4.1",
    )


def test_a_fork_with_passing_tests_lets_the_agents_finish(walk: dict[str, Any]) -> None:
    rc, result = walk["fork"]
    original = walk["record"][1]["session_id"]
    assert (rc, result["ok"], result["exit_code"]) == (0, True, 0)
    assert result["forked_from"] == {"session_id": original, "step": 18}
    assert _status(walk["db"], result["new_session_id"]) is Status.OK


def test_the_diff_shows_the_verifier_turning_green(walk: dict[str, Any]) -> None:
    diff = walk["diff"]
    assert diff.returncode == 1  # 1: the sessions differ
    assert "First divergence: A step 16" in diff.stdout
    assert "16 same, 3 changed, 0 added, 0 removed" in diff.stdout
