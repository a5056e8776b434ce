"""Failure fingerprints, and failures grouped across a store like an error tracker's issues."""

from __future__ import annotations

import pytest

from agentreel.detectors import fingerprint_failure, normalise_message, recurring_failures
from agentreel.model import ErrorInfo, Status
from agentreel.storage import SQLiteStore

from ._write import MS, T0, S, write_session

HOUR = 3600 * 1000 * MS


@pytest.mark.parametrize(
    ("message", "normalised"),
    [
        ("No module named 'calc.ops'", "No module named '<v>'"),
        ('key "user-17" missing', 'key "<v>" missing'),
        ("timed out after 30s fetching https://x.org/a?b=1", "timed out after <n>s fetching <url>"),
        ("[Errno 2] No such file: /srv/app/data/7/x.csv", "[Errno <n>] No such file: <path>"),
        ("locked on C:\\Users\\bo\\db.sqlite", "locked on <path>"),
        ("request 0123456789abcdef failed", "request <hex> failed"),
        ("request 01234567890123456 failed", "request <hex> failed"),
        ("object at 0x7f3a2c1b", "object at <hex>"),
        ("id 550e8400-e29b-41d4-a716-446655440000", "id <id>"),
        ("took 1.5 of 2 seconds", "took <n> of <n> seconds"),
        ("deadbeef   is a   word", "deadbeef is a word"),
        ("`rm -rf /` refused", "`<v>` refused"),
    ],
)
def test_run_specific_values_are_masked(message: str, normalised: str) -> None:
    assert normalise_message(message) == normalised


def _failing(store: SQLiteStore, *steps: S, start: int = T0, project: str = "p") -> str:
    return write_session(store, list(steps), project=project, start=start, status=Status.ERROR)


def _error(kind: str, message: str) -> ErrorInfo:
    return ErrorInfo(type=kind, message=message, traceback="Traceback ...")


def test_a_fingerprint_ignores_values_and_the_agent_that_hit_it(store: SQLiteStore) -> None:
    a = _failing(
        store,
        S(kind="agent", name="investigator"),
        S(kind="tool", name="read", parent=1, status="error", error=_error("E", "no file 'a.py'")),
    )
    b = _failing(
        store,
        S(kind="agent", name="verifier"),
        S(kind="tool", name="read", parent=1, status="error", error=_error("E", "no file 'b.py'")),
        S(kind="tool", name="write", parent=1, status="error", error=_error("E", "no file 'b.py'")),
        S(kind="tool", name="read", parent=1, status="error", error=_error("F", "no file 'b.py'")),
    )
    first = store.get_step(a, 2)
    same, other_tool, other_type = (store.get_step(b, n) for n in (2, 3, 4))
    assert fingerprint_failure(first, store) == fingerprint_failure(same, store)
    assert fingerprint_failure(first) == fingerprint_failure(first, store)
    assert len(fingerprint_failure(first)) == 16
    assert fingerprint_failure(first) != fingerprint_failure(other_tool)
    assert fingerprint_failure(first) != fingerprint_failure(other_type)


def test_the_step_path_counts_non_agent_ancestors(store: SQLiteStore) -> None:
    session = _failing(
        store,
        S(kind="custom", name="batch"),
        S(kind="tool", name="read", parent=1, status="error", error=_error("E", "m")),
        S(kind="tool", name="read", status="error", error=_error("E", "m")),
    )
    nested, top = store.get_step(session, 2), store.get_step(session, 3)
    assert fingerprint_failure(nested, store) != fingerprint_failure(top, store)
    # Without the store the nesting is unknown: both read as the tool alone.
    assert fingerprint_failure(nested) == fingerprint_failure(top)


def test_failures_group_across_sessions_with_counts_and_times(store: SQLiteStore) -> None:
    def hit(path: str) -> S:
        return S(
            kind="tool", name="read", parent=1, status="error", error=_error("E", f"no '{path}'")
        )

    def passed_on() -> S:  # the agent fails with its tool's error: one failure, not two
        return S(kind="agent", name="a", status="error", error=_error("E", "no 'x'"))

    s1 = _failing(store, passed_on(), hit("x"), start=T0)
    s2 = _failing(store, S(kind="agent", name="a"), hit("y"), hit("z"), start=T0 + HOUR)
    s3 = _failing(
        store,
        S(kind="agent", name="a"),
        S(kind="llm", name="m", parent=1, status="error", error=_error("RateLimit", "429")),
        start=T0 + 2 * HOUR,
    )
    _failing(store, S(kind="agent", name="a"), hit("w"), start=T0 + 3 * HOUR, project="other")

    groups = recurring_failures(store, project="p")
    assert [(g.tool, g.count, g.sessions) for g in groups] == [("read", 3, (s1, s2))]
    group = groups[0]
    assert (group.error_type, group.message, group.step_path) == ("E", "no '<v>'", "tool:read")
    assert group.first_seen == T0 + 2 * MS
    assert group.last_seen == T0 + HOUR + 3 * MS

    every = recurring_failures(store, project="p", min_count=1)
    assert sorted((g.tool or "", g.count) for g in every) == [("", 1), ("read", 3)]
    assert recurring_failures(store)[0].count == 4  # all projects
    late = recurring_failures(store, since=T0 + HOUR, min_count=1)
    assert sorted((g.tool or "", g.count) for g in late) == [("", 1), ("read", 3)]
    assert [g.sessions for g in recurring_failures(store, project="p", min_count=1)
            if g.tool is None] == [(s3,)]  # fmt: skip
