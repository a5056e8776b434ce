"""list_sessions: filters, ordering, paging and the totals computed from steps."""

from __future__ import annotations

from typing import Any

import pytest

from agentreel.model import NO_USAGE, Session, Status, TokenUsage
from agentreel.storage import SessionFilter, Store, WriteBatch

from ._factories import T0, Factory

SECOND = 1_000_000_000


def _names(store: Store, **fields: Any) -> list[str]:
    return [s.session.name for s in store.list_sessions(SessionFilter(**fields))]


@pytest.fixture
def five(store: Store, make: Factory) -> list[Session]:
    sessions = [
        make.session(name="Fix Failing Test", started_at=T0 + 1 * SECOND, tags=("demo", "ci")),
        make.session(name="refactor parser", started_at=T0 + 2 * SECOND, project="calc"),
        make.session(
            name="Straße des Tests", started_at=T0 + 3 * SECOND, tags=("demo",), status=Status.OK
        ),
        make.session(
            name="nightly eval", started_at=T0 + 4 * SECOND, tags=("ci",), status=Status.ERROR
        ),
        make.session(
            name="ÜBER test", started_at=T0 + 5 * SECOND, project="calc", status=Status.OK
        ),
    ]
    store.write(WriteBatch(sessions=sessions))
    return sessions


def test_newest_first_without_a_filter(store: Store, five: list[Session]) -> None:
    assert store.list_sessions() == store.list_sessions(SessionFilter())
    assert [s.session for s in store.list_sessions()] == five[::-1]


def test_equal_start_times_are_ordered_by_id(store: Store, make: Factory) -> None:
    sessions = [make.session(started_at=T0) for _ in range(4)]
    store.write(WriteBatch(sessions=sessions))
    ids = [s.session.id for s in store.list_sessions()]
    assert ids == sorted((s.id for s in sessions), reverse=True)


def test_name_is_a_case_insensitive_substring(store: Store, five: list[Session]) -> None:
    assert _names(store, name="TEST") == ["ÜBER test", "Straße des Tests", "Fix Failing Test"]
    assert _names(store, name="über") == ["ÜBER test"]  # not only ASCII folds
    assert _names(store, name="STRASSE") == ["Straße des Tests"]
    assert _names(store, name="%") == []  # no wildcard characters
    assert _names(store, name="_") == []


def test_every_tag_must_be_present(store: Store, five: list[Session]) -> None:
    assert _names(store, tags=("demo",)) == ["Straße des Tests", "Fix Failing Test"]
    assert _names(store, tags=("demo", "ci")) == ["Fix Failing Test"]
    assert _names(store, tags=("nope",)) == []


def test_status_and_project(store: Store, five: list[Session]) -> None:
    assert _names(store, status=Status.OK) == ["ÜBER test", "Straße des Tests"]
    assert _names(store, status=Status.RUNNING) == ["refactor parser", "Fix Failing Test"]
    assert _names(store, project="calc") == ["ÜBER test", "refactor parser"]
    assert _names(store, project="calc", status=Status.OK) == ["ÜBER test"]
    assert _names(store, project="default", tags=("ci",)) == ["nightly eval", "Fix Failing Test"]


def test_since_is_inclusive_and_until_exclusive(store: Store, five: list[Session]) -> None:
    assert _names(store, since=T0 + 4 * SECOND) == ["ÜBER test", "nightly eval"]
    assert _names(store, until=T0 + 2 * SECOND) == ["Fix Failing Test"]
    assert _names(store, since=T0 + 2 * SECOND, until=T0 + 4 * SECOND) == [
        "Straße des Tests",
        "refactor parser",
    ]


def test_limit_and_offset_page_through_newest_first(store: Store, five: list[Session]) -> None:
    assert _names(store, limit=2) == ["ÜBER test", "nightly eval"]
    assert _names(store, limit=2, offset=2) == ["Straße des Tests", "refactor parser"]
    assert _names(store, limit=2, offset=4) == ["Fix Failing Test"]
    assert _names(store, limit=2, offset=5) == []
    assert len(_names(store, limit=None)) == 5
    assert _names(store, limit=None, offset=3) == ["refactor parser", "Fix Failing Test"]
    assert _names(store, limit=0) == []


def test_default_limit_is_100(store: Store, make: Factory) -> None:
    store.write(WriteBatch(sessions=[make.session(started_at=T0 + i) for i in range(105)]))
    assert len(store.list_sessions()) == 100
    assert len(store.list_sessions(SessionFilter(limit=None))) == 105


def test_totals_are_computed_from_steps(store: Store, make: Factory) -> None:
    busy = make.session(started_at=T0 + 2)
    idle = make.session(started_at=T0 + 1)
    sid = busy.id
    rows = [
        make.row(sid, 1, kind="agent", started_at=T0 + 10, ended_at=None, status="running"),
        make.row(sid, 2, kind="llm", tokens_in=100, tokens_out=20, tokens_cached=60, cost=0.25),
        make.row(sid, 3, kind="llm", tokens_in=50, tokens_out=5, tokens_reasoning=4, cost=0.5),
        make.failed(sid, 4, started_at=T0 + 5000, ended_at=T0 + 20_000),
        make.failed(sid, 5, started_at=T0 + 9500, ended_at=None),
        make.row(sid, 6, cost=None),
    ]
    # Steps of another session must not leak into these totals.
    other = make.row(idle.id, 1, tokens_in=10_000, cost=99.0, status="error")
    store.write(WriteBatch(sessions=[busy, idle], steps=[*rows, other]))
    idle_no_steps = make.session(started_at=T0)
    store.write(WriteBatch(sessions=[idle_no_steps]))

    summaries = {s.session.id: s for s in store.list_sessions()}
    got = summaries[sid]
    assert got.session == busy
    assert got.step_count == 6
    assert got.error_count == 2
    assert got.usage == TokenUsage(input=150, output=25, cached=60, reasoning=4)
    assert got.cost == pytest.approx(0.75)
    # The latest moment any step was seen: the end of step 4, which started
    # before step 5 (still running) did.
    assert got.last_step_at == T0 + 20_000
    assert store.summarize(sid) == got

    assert summaries[idle.id].step_count == 1
    assert summaries[idle.id].cost == pytest.approx(99.0)

    empty = summaries[idle_no_steps.id]
    assert (empty.step_count, empty.error_count, empty.usage, empty.cost, empty.last_step_at) == (
        0,
        0,
        NO_USAGE,
        0.0,
        None,
    )
    assert store.summarize(idle_no_steps.id) == empty


def test_totals_follow_upserts(store: Store, make: Factory) -> None:
    s = make.session()
    start = make.row(s.id, 1, status="running", ended_at=None)
    store.write(WriteBatch(sessions=[s], steps=[start]))
    assert store.summarize(s.id).usage == NO_USAGE
    store.write(WriteBatch(steps=[start._replace(status="error", tokens_in=7, cost=0.1)]))
    got = store.summarize(s.id)
    assert (got.step_count, got.error_count, got.usage.input) == (1, 1, 7)
    assert got.cost == pytest.approx(0.1)
