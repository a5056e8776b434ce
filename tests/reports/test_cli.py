"""``agentreel rca`` and ``agentreel postmortem`` on the command line."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ._inert import assert_inert
from ._run import run_cli
from .conftest import Demo

FLAKY, CLEAN = "fix-flaky-import", "fix-divide-by-zero"


def test_rca_prints_markdown(demo: Demo) -> None:
    run = run_cli(demo.path, "rca", demo.ids[FLAKY][:6], now=time.time_ns())
    assert run.exit_code == 0
    assert run.out.startswith("# Root-cause report: fix-flaky-import\n\nSession `")
    assert "**Failed.** Session fix-flaky-import failed: step 6 (tool run_tests) raised" in run.out
    assert run.err == ""


def test_rca_of_a_clean_session_exits_0_and_says_so(demo: Demo) -> None:
    run = run_cli(demo.path, "rca", demo.ids[CLEAN], now=time.time_ns())
    assert run.exit_code == 0
    assert "with no failure and no detector warning." in run.out


def test_rca_json(demo: Demo) -> None:
    run = run_cli(demo.path, "rca", demo.ids[FLAKY], "--json", now=time.time_ns())
    assert run.exit_code == 0
    doc = json.loads(run.out)
    assert doc["format"] == "agentreel.rca/1"
    assert doc["verdict"] == "failed"
    assert doc["session"]["id"] == demo.ids[FLAKY]
    assert (doc["failing_step"]["name"], doc["failing_step"]["number"]) == ("run_tests", 6)
    assert doc["cause"]["tool_call"]["arguments"] == {"path": "tests/test_arith.py"}
    assert doc["comparison"]["session"]["id"] == demo.ids[CLEAN]


def test_rca_html_to_a_file(demo: Demo, tmp_path: Path) -> None:
    target = tmp_path / "rca.html"
    run = run_cli(
        demo.path, "rca", demo.ids[FLAKY], "--html", "-o", str(target), now=time.time_ns()
    )
    assert run.exit_code == 0
    short = demo.ids[FLAKY][:12]
    assert run.out == f"Wrote the root-cause report of fix-flaky-import ({short}) to {target}\n"
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>Root-cause report: fix-flaky-import</h1>" in page
    assert_inert(page)


def test_html_and_json_together_is_a_usage_error(demo: Demo) -> None:
    run = run_cli(demo.path, "rca", demo.ids[FLAKY], "--html", "--json", now=time.time_ns())
    assert run.exit_code == 2
    assert "--html and --json cannot be used together" in run.stderr


def test_rca_of_an_unknown_session_is_one_line(demo: Demo) -> None:
    run = run_cli(demo.path, "rca", "abcdef0123", now=time.time_ns())
    assert run.exit_code == 1
    assert run.err == (
        "agentreel: error: no session matches 'abcdef0123'; "
        "`agentreel ls` lists the recorded sessions\n"
    )


def test_postmortem_over_the_last_week(demo: Demo) -> None:
    run = run_cli(demo.path, "postmortem", now=time.time_ns())
    assert run.exit_code == 0
    assert run.out.startswith("# Postmortem: all projects\n")
    assert "3 sessions: 2 ok, 1 failed; success rate 67% (2/3 ended ok)." in run.out


def test_postmortem_since_excludes_older_sessions(demo: Demo) -> None:
    later = time.time_ns() + 3 * 86_400 * 10**9
    run = run_cli(demo.path, "postmortem", "--since", "1d", "--json", now=later)
    assert run.exit_code == 0
    doc = json.loads(run.out)
    assert doc["sessions"] == {"total": 0, "ok": 0, "failed": 0, "running": 0, "success_rate": None}


def test_postmortem_project_filter(demo: Demo) -> None:
    run = run_cli(demo.path, "postmortem", "--project", "default", "--json", now=time.time_ns())
    assert json.loads(run.out)["sessions"]["total"] == 3
    run = run_cli(demo.path, "postmortem", "--project", "other", "--json", now=time.time_ns())
    assert json.loads(run.out)["sessions"]["total"] == 0


def test_postmortem_bad_since_is_a_usage_error(demo: Demo) -> None:
    run = run_cli(demo.path, "postmortem", "--since", "yesterday", now=time.time_ns())
    assert run.exit_code == 2
    assert "--since" in run.stderr


def test_postmortem_html_has_charts(demo: Demo, tmp_path: Path) -> None:
    target = tmp_path / "pm.html"
    run = run_cli(demo.path, "postmortem", "--html", "-o", str(target), now=time.time_ns())
    assert run.out == f"Wrote the postmortem of 3 sessions to {target}\n"
    found = assert_inert(target.read_text(encoding="utf-8"))
    assert found.tags.count("svg") == 3
