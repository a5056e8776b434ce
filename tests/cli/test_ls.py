"""``agentreel ls``: the table, its filters, JSON, and the empty and missing cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentreel.storage import SQLiteStore

from ._reel import FIX_ID, LIVE_ID, NOTES_ID
from ._run import Invoke, invoke_cli

TABLE = """\
id            name              status   steps  duration  tokens     cost  tags         started
──────────────────────────────────────────────────────────────────────────────────────────────────
4bf9aa00d2c6  live-agent        running      3    1m05s…       -        -               1m ago
4bf92f3577b3  fix-failing-test  error        6     12.3s   12.7k  $0.0123  demo, flaky  3h ago
0af7651916cd  research-notes    ok           2     2m05s   42.3k    $1.50               2024-12-24
"""


def test_ls_prints_every_session_newest_first(invoke: Invoke) -> None:
    run = invoke("ls")
    assert run.exit_code == 0
    assert run.text == TABLE
    assert run.err == ""


def _ids(invoke: Invoke, *args: str) -> list[str]:
    run = invoke("ls", "--json", *args)
    assert run.exit_code == 0, run.err + run.stderr
    return [s["id"] for s in json.loads(run.out)["sessions"]]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--name", "FIX"], [FIX_ID]),
        (["--name", "e"], [LIVE_ID, FIX_ID, NOTES_ID]),
        (["--tag", "demo"], [FIX_ID]),
        (["--tag", "demo", "--tag", "flaky"], [FIX_ID]),
        (["--tag", "demo", "--tag", "nope"], []),
        (["--status", "ok"], [NOTES_ID]),
        (["--status", "running"], [LIVE_ID]),
        (["--project", "docs"], [NOTES_ID]),
        (["--since", "2h"], [LIVE_ID]),
        (["--since", "4h"], [LIVE_ID, FIX_ID]),
        (["--since", "2024-12-25"], [LIVE_ID, FIX_ID]),
        (["--since", "2024-12-24"], [LIVE_ID, FIX_ID, NOTES_ID]),
        (["--limit", "2"], [LIVE_ID, FIX_ID]),
    ],
)
def test_ls_filters(invoke: Invoke, args: list[str], expected: list[str]) -> None:
    assert _ids(invoke, *args) == expected


def test_ls_says_when_the_listing_is_cut_short(invoke: Invoke) -> None:
    run = invoke("ls", "--limit", "1")
    assert run.text.splitlines()[-1] == "Showing the newest 1; use --limit to see more."
    assert json.loads(invoke("ls", "--json", "--limit", "1").out)["truncated"] is True
    assert json.loads(invoke("ls", "--json", "--limit", "3").out)["truncated"] is False
    assert "Showing" not in invoke("ls", "--limit", "3").out


def test_ls_json_shape(invoke: Invoke) -> None:
    data = json.loads(invoke("ls", "--json", "--name", "fix").out)
    assert data == {
        "sessions": [
            {
                "id": FIX_ID,
                "name": "fix-failing-test",
                "project": "default",
                "status": "error",
                "tags": ["demo", "flaky"],
                "metadata": {"repo": "calc"},
                "started_at": "2025-01-02T14:03:05.000000Z",
                "ended_at": "2025-01-02T14:03:17.300000Z",
                "duration_ms": 12300.0,
                "steps": 6,
                "errors": 2,
                "tokens": {
                    "input": 11700,
                    "output": 1000,
                    "cached": 200,
                    "reasoning": 0,
                    "total": 12700,
                },
                "cost": pytest.approx(0.0123),
                "forked_from": None,
                "error": {"type": "ValueError", "message": "boom", "traceback": ""},
            }
        ],
        "truncated": False,
    }


def test_ls_names_the_fork_origin_in_json(invoke: Invoke) -> None:
    (notes,) = json.loads(invoke("ls", "--json", "--project", "docs").out)["sessions"]
    assert notes["forked_from"] == {"session_id": FIX_ID, "step": 3}


def test_ls_on_an_empty_store_suggests_the_demo(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    SQLiteStore(db).close()
    run = invoke_cli(db, ["ls"])
    assert run.exit_code == 0
    assert run.text == (
        f"No sessions recorded in {db} yet. Run `agentreel demo` to record a few example "
        "sessions.\n"
    )
    assert json.loads(invoke_cli(db, ["ls", "--json"]).out) == {
        "sessions": [],
        "truncated": False,
    }


def test_ls_with_filters_matching_nothing_says_so(invoke: Invoke) -> None:
    run = invoke("ls", "--name", "no-such-thing")
    assert run.exit_code == 0
    assert run.text == "No sessions match these filters.\n"


def test_ls_on_a_missing_database_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    run = invoke_cli(missing, ["ls"])
    assert run.exit_code == 1
    assert run.out == ""
    assert run.err.startswith(f"agentreel: error: cannot open the reel database {missing}")
    assert run.err.count("\n") == 1
    assert not missing.exists()  # reading never creates a database


@pytest.mark.parametrize("since", ["yesterday", "7 days"])
def test_ls_rejects_an_unreadable_since_as_a_usage_error(invoke: Invoke, since: str) -> None:
    run = invoke("ls", "--since", since)
    assert run.exit_code == 2
    assert "Invalid value for --since" in run.stderr
    assert "neither a duration" in run.stderr


def test_ls_leaves_out_tags_on_a_narrow_console(reel: Path) -> None:
    run = invoke_cli(reel, ["ls"], width=80)
    # Ids, numbers and times stay whole; only the name gives way.
    assert run.text == (
        "id            name         status   steps  duration  tokens     cost  started\n"
        + "─" * 80
        + "\n"
        "4bf9aa00d2c6  live-agent   running      3    1m05s…       -        -  1m ago\n"
        "4bf92f3577b3  fix-failin…  error        6     12.3s   12.7k  $0.0123  3h ago\n"
        "0af7651916cd  research-n…  ok           2     2m05s   42.3k    $1.50  2024-12-24\n"
    )


def test_ls_gives_names_their_room_before_tags(reel: Path) -> None:
    lines = invoke_cli(reel, ["ls"], width=92).text.splitlines()
    assert lines[0].split() == [
        "id",
        "name",
        "status",
        "steps",
        "duration",
        "tokens",
        "cost",
        "started",
    ]
    assert lines[3].startswith("4bf92f3577b3  fix-failing-test  error")
