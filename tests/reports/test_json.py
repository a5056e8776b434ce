"""The JSON shapes: every key at every level, so that a rename or removal fails here."""

from __future__ import annotations

import json
from pathlib import Path

from agentreel.reports import build_postmortem, build_rca, postmortem_json, rca_json
from agentreel.storage import SQLiteStore

from ._build import DAY, T0
from ._small import EARLIER, FAILED, WORKED, write_small

SESSION = {
    "id", "name", "project", "status", "started_at", "ended_at", "steps", "errors", "tokens",
    "cost", "error",
}  # fmt: skip
STEP = {"number", "kind", "name", "status", "path", "model", "error"}
GROUP = {
    "fingerprint", "error_type", "message", "tool", "step_path", "count", "sessions",
    "first_seen", "last_seen",
}  # fmt: skip
FINDING = {
    "detector", "kind", "severity", "session_id", "steps", "message", "evidence", "recorded_at",
    "offline",
}  # fmt: skip
BUCKET = {"key", "sessions", "calls", "tokens", "cost"}
TOKENS = {"input", "output", "cached", "reasoning", "total"}


def _store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(write_small(tmp_path / "reel.db"), create=False)


def test_rca_shape(tmp_path: Path) -> None:
    doc = rca_json(build_rca(_store(tmp_path), FAILED, now=T0 + DAY))
    json.dumps(doc)  # JSON-safe as it is, without a custom encoder
    assert set(doc) == {
        "format", "generated_at", "session", "verdict", "headline", "failing_step",
        "other_failures", "focus", "cause", "cause_note", "findings", "unchecked", "recurring",
        "comparison", "comparison_note", "next_commands",
    }  # fmt: skip
    assert (doc["format"], doc["verdict"], doc["generated_at"]) == (
        "agentreel.rca/1",
        "failed",
        "2025-01-03T14:03:05.000000Z",
    )
    assert set(doc["session"]) == SESSION and set(doc["session"]["tokens"]) == TOKENS
    assert set(doc["failing_step"]) == STEP | {"input", "propagated_by"}
    assert doc["failing_step"]["input"] == {"path": "tests/test_arith.py"}
    assert [set(s) for s in doc["failing_step"]["propagated_by"]] == [STEP]
    assert set(doc["focus"]) == STEP
    cause = doc["cause"]
    assert set(cause) == {"llm_step", "match", "tool_call", "context", "context_note"}
    assert set(cause["tool_call"]) == {"id", "name", "arguments"}
    assert set(cause["context"]) == {
        "model", "messages", "system_head", "last_user", "tool_results",
        "tool_results_omitted", "tools_offered",
    }  # fmt: skip
    assert all(set(f) == FINDING for f in doc["findings"])
    assert [set(r) for r in doc["recurring"]] == [GROUP | {"steps_here"}]
    assert doc["recurring"][0]["sessions"] == [EARLIER, FAILED]
    comparison = doc["comparison"]
    assert set(comparison) == {
        "session", "similarity", "counts", "first_divergence", "first_structural_divergence",
    }  # fmt: skip
    assert comparison["session"]["id"] == WORKED
    assert set(comparison["first_divergence"]) == {"status", "other_step", "step", "changes"}
    assert comparison["first_structural_divergence"] is None
    assert all(set(c) == {"command", "why"} for c in doc["next_commands"])


def test_rca_shape_of_a_clean_session(tmp_path: Path) -> None:
    doc = rca_json(build_rca(_store(tmp_path), WORKED, now=T0 + DAY))
    assert doc["verdict"] == "clean"
    nulls = ("failing_step", "focus", "cause", "cause_note", "comparison", "comparison_note")
    assert {key: doc[key] for key in nulls} == dict.fromkeys(nulls)
    assert (doc["other_failures"], doc["recurring"]) == ([], [])


def test_postmortem_shape(tmp_path: Path) -> None:
    report = build_postmortem(_store(tmp_path), since=T0 - 2 * DAY, now=T0 + DAY)
    doc = postmortem_json(report)
    json.dumps(doc)
    assert set(doc) == {
        "format", "generated_at", "period", "sessions", "tokens", "cost", "by_day", "by_model",
        "by_agent", "recurring", "drift", "cost_anomalies", "session_names", "coverage",
        "guards", "unchecked",
    }  # fmt: skip
    assert doc["format"] == "agentreel.postmortem/1"
    assert doc["period"] == {
        "since": "2024-12-31T14:03:05.000000Z",
        "until": "2025-01-03T14:03:05.000000Z",
        "project": None,
    }
    assert doc["sessions"] == {
        "total": 3, "ok": 1, "failed": 2, "running": 0, "success_rate": 1 / 3,
    }  # fmt: skip
    for key in ("by_day", "by_model", "by_agent"):
        assert all(set(b) == BUCKET for b in doc[key]), key
    assert [b["key"] for b in doc["by_day"]] == [
        "2024-12-31", "2025-01-01", "2025-01-02", "2025-01-03",
    ]  # fmt: skip
    assert set(doc["recurring"]) == {"total", "groups"}
    assert [set(g) for g in doc["recurring"]["groups"]] == [GROUP | {"session_names"}]
    assert doc["recurring"]["groups"][0]["session_names"] == {
        EARLIER: "fix-divide",
        FAILED: "fix-divide",
    }
    assert set(doc["coverage"]) == {"analyzed", "not_analyzed", "scanned", "not_scanned"}
    assert doc["guards"] == {"steps": 0, "vetoes": []}
