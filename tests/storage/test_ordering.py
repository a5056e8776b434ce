"""SessionFilter.order_by and descending: every ordering, both ways, paged stably."""

from __future__ import annotations

from typing import Any

import pytest

from agentreel.model import Session, Status
from agentreel.storage import Ordering, SessionFilter, Store, WriteBatch

from ._factories import T0, Factory

SECOND = 1_000_000_000


def _names(store: Store, **fields: Any) -> list[str]:
    return [s.session.name for s in store.list_sessions(SessionFilter(**fields))]


@pytest.fixture
def sessions(store: Store, make: Factory) -> list[Session]:
    """Four sessions whose every ordering is different."""
    #        name      start  duration  steps (tokens in, out, cost)
    spec = [
        ("bravo", 1, 50, [(10, 5, 0.5)]),
        ("Alpha", 2, None, [(1, 1, 0.01), (1, 1, 0.01), (1, 1, 0.01)]),
        ("delta", 3, 5, [(400, 100, None), (0, 0, 0.02)]),
        ("charlie", 4, 20, []),
    ]
    made = []
    rows = []
    for name, start, duration, steps in spec:
        started = T0 + start * SECOND
        ended = None if duration is None else started + duration * SECOND
        status = Status.RUNNING if ended is None else Status.OK
        s = make.session(name=name, started_at=started, ended_at=ended, status=status)
        made.append(s)
        for n, (t_in, t_out, cost) in enumerate(steps, start=1):
            rows.append(make.row(s.id, n, tokens_in=t_in, tokens_out=t_out, cost=cost))
    store.write(WriteBatch(sessions=made, steps=rows))
    return made


@pytest.mark.parametrize(
    ("order_by", "descending_names"),
    [
        ("started", ["charlie", "delta", "Alpha", "bravo"]),
        ("name", ["delta", "charlie", "bravo", "Alpha"]),  # case-folded
        ("steps", ["Alpha", "delta", "bravo", "charlie"]),
        ("tokens", ["delta", "bravo", "Alpha", "charlie"]),
        ("cost", ["bravo", "Alpha", "delta", "charlie"]),
    ],
)
def test_each_ordering_both_ways(
    store: Store, sessions: list[Session], order_by: str, descending_names: list[str]
) -> None:
    assert _names(store, order_by=order_by) == descending_names
    assert _names(store, order_by=order_by, descending=False) == descending_names[::-1]


def test_sessions_without_a_duration_come_last_both_ways(
    store: Store, sessions: list[Session]
) -> None:
    assert _names(store, order_by="duration") == ["bravo", "charlie", "delta", "Alpha"]
    assert _names(store, order_by="duration", descending=False) == [
        "delta",
        "charlie",
        "bravo",
        "Alpha",
    ]


def test_the_default_is_newest_first(store: Store, sessions: list[Session]) -> None:
    assert store.list_sessions() == store.list_sessions(
        SessionFilter(order_by="started", descending=True)
    )


@pytest.mark.parametrize("order_by", ["started", "duration", "steps", "tokens", "cost", "name"])
@pytest.mark.parametrize("descending", [True, False])
def test_ties_are_broken_by_id_so_pages_are_stable(
    store: Store, make: Factory, order_by: Ordering, descending: bool
) -> None:
    # Equal in every ordering: only the id tells them apart.
    same = [make.session(name="same", started_at=T0, ended_at=T0 + 5) for _ in range(7)]
    store.write(WriteBatch(sessions=same))
    ids = sorted((s.id for s in same), reverse=descending)
    pages = []
    for offset in (0, 3, 6):
        wanted = SessionFilter(order_by=order_by, descending=descending, limit=3, offset=offset)
        pages.append([s.session.id for s in store.list_sessions(wanted)])
    assert pages == [ids[0:3], ids[3:6], ids[6:7]]


def test_ordering_applies_before_paging(store: Store, sessions: list[Session]) -> None:
    assert _names(store, order_by="tokens", limit=2) == ["delta", "bravo"]
    assert _names(store, order_by="tokens", limit=2, offset=2) == ["Alpha", "charlie"]
    assert _names(store, order_by="cost", descending=False, limit=1, offset=1) == ["delta"]
    # Totals still come with the page.
    (top,) = store.list_sessions(SessionFilter(order_by="steps", limit=1))
    assert (top.session.name, top.step_count, top.usage.total) == ("Alpha", 3, 6)


def test_an_unknown_ordering_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot order sessions by 'size'"):
        SessionFilter(order_by="size")  # type: ignore[arg-type]
