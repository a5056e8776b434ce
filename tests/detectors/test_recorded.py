"""Findings recorded while a session ran (``agentreel.findings``), read back by ``analyze``."""

from __future__ import annotations

from typing import Any

from agentreel.detectors import analyze, finding_key, finding_record
from agentreel.hooks import FINDINGS
from agentreel.storage import SQLiteStore

from ._write import S, write_session


def _reads(count: int, **attributes: Any) -> list[S]:
    """``count`` identical reads: a repeated-step loop from step 1."""
    return [S(kind="tool", name="read", input={"path": "a"}, output="x") for _ in range(count)] + [
        S(kind="tool", name="write", input={"path": "b"}, output="ok", attributes=attributes)
    ]


def test_a_finding_found_both_ways_is_listed_once_with_where_it_was_recorded(
    store: SQLiteStore,
) -> None:
    offline = analyze(store, write_session(store, _reads(4)), detectors=["loop"])
    (loop,) = offline.findings
    assert (loop.kind, loop.steps, loop.recorded_at) == ("repeated-step", (1, 2, 3, 4), None)
    # The guard saw it at three repeats, and wrote it onto the next call (step 5).
    online = {**finding_record(loop), "steps": [1, 2, 3]}
    sid = write_session(store, _reads(4, **{FINDINGS: [online]}))
    (merged,) = analyze(store, sid, detectors=["loop"]).findings
    assert finding_key(merged) == finding_key(loop)
    assert (merged.steps, merged.recorded_at, merged.offline) == ((1, 2, 3, 4), 5, True)


def test_a_finding_only_the_recording_has_is_kept_as_recorded(store: SQLiteStore) -> None:
    recorded = {
        "detector": "context-drift",
        "kind": "rule-violated",
        "severity": "error",
        "steps": [1],
        "message": "step 1: broke the rule no-force-push",
        "evidence": {"rule": "no-force-push"},
    }
    sid = write_session(store, _reads(1, **{FINDINGS: [recorded]}))
    report = analyze(store, sid)
    (finding,) = report.of("context-drift")
    assert (finding.kind, finding.steps, finding.recorded_at, finding.offline) == (
        "rule-violated",
        (1,),
        2,
        False,
    )
    assert finding.session_id == sid and finding.evidence == {"rule": "no-force-push"}
    # Only the detectors asked for are read back.
    assert analyze(store, sid, detectors=["loop"]).findings == ()


def test_entries_that_are_not_findings_are_skipped_and_said(store: SQLiteStore) -> None:
    good = {
        "detector": "loop",
        "kind": "cycle",
        "severity": "warning",
        "steps": [1, 2],
        "message": "a cycle",
    }
    junk: list[Any] = [
        "a string",
        {"detector": "telepathy", "kind": "cycle", "severity": "warning", "message": "?"},
        {**good, "kind": "spiral"},
        {**good, "severity": "fatal"},
        {**good, "steps": ["1"]},
        {**good, "steps": [True]},
        {**good, "message": None},
        {**good, "evidence": [1]},
        None,
    ]
    sid = write_session(store, _reads(1, **{FINDINGS: [*junk, good]}))
    report = analyze(store, sid)
    assert [(f.kind, f.recorded_at) for f in report.of("loop")] == [("cycle", 2)]
    (note,) = [u for u in report.unchecked if FINDINGS in u]
    assert note == (
        "9 entries of agentreel.findings (recorded while the session ran) on step(s) 2 are "
        "not findings this version can read; they were skipped"
    )


def test_a_single_object_instead_of_a_list_is_read(store: SQLiteStore) -> None:
    one = {"detector": "loop", "kind": "cycle", "severity": "info", "steps": [], "message": "m"}
    sid = write_session(store, _reads(1, **{FINDINGS: one}))
    assert [f.kind for f in analyze(store, sid).of("loop")] == ["cycle"]
