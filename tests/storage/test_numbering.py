"""assign_step_numbers: numbers for spans that arrive without one (OTLP ingest)."""

from __future__ import annotations

import threading

from agentreel.storage import Store, WriteBatch

from ._factories import Factory

THREADS = 4
ROUNDS = 15
PER_CALL = 5


def test_new_spans_are_numbered_in_the_order_given(store: Store, make: Factory) -> None:
    sid = make.session_id()  # the session itself need not exist yet
    assert store.assign_step_numbers(sid, ["c", "a", "b"]) == {"c": 1, "a": 2, "b": 3}
    assert store.assign_step_numbers(sid, []) == {}


def test_known_spans_keep_their_numbers(store: Store, make: Factory) -> None:
    sid = make.session_id()
    store.assign_step_numbers(sid, ["a", "b"])
    got = store.assign_step_numbers(sid, ["b", "new", "a", "new", "newer"])
    assert got == {"b": 2, "new": 3, "a": 1, "newer": 4}
    assert list(got) == ["b", "new", "a", "newer"]


def test_sessions_are_numbered_apart(store: Store, make: Factory) -> None:
    one, two = make.session_id(), make.session_id()
    assert store.assign_step_numbers(one, ["x", "y"]) == {"x": 1, "y": 2}
    # The same span id in another session is another span.
    assert store.assign_step_numbers(two, ["y", "x"]) == {"y": 1, "x": 2}


def test_numbers_follow_the_highest_written_step(store: Store, make: Factory) -> None:
    s = make.session()
    rows = [make.row(s.id, n) for n in (1, 2, 7)]
    store.write(WriteBatch(sessions=[s], steps=rows))
    got = store.assign_step_numbers(s.id, [rows[1].span_id, "late", rows[2].span_id])
    # Spans of written steps are known by their step's number.
    assert got == {rows[1].span_id: 2, "late": 8, rows[2].span_id: 7}
    store.write(WriteBatch(steps=[make.row(s.id, 20)]))
    assert store.assign_step_numbers(s.id, ["later", "late"]) == {"later": 21, "late": 8}


def test_a_parent_numbered_before_its_step_arrives(store: Store, make: Factory) -> None:
    s = make.session()
    # A child arrives first and names its parent: both get numbers now.
    numbers = store.assign_step_numbers(s.id, ["parent", "child"])
    child = make.row(
        s.id, numbers["child"], span_id="child", parent_number=numbers["parent"],
        parent_span_id="parent",
    )  # fmt: skip
    store.write(WriteBatch(sessions=[s], steps=[child]))
    assert [x.number for x in store.get_steps(s.id)] == [2]
    # The parent arrives later, is given the number it was promised, and is written with it.
    again = store.assign_step_numbers(s.id, ["parent", "sibling"])
    assert again == {"parent": 1, "sibling": 3}
    store.write(WriteBatch(steps=[make.row(s.id, again["parent"], span_id="parent")]))
    steps = store.get_steps(s.id)
    assert [(x.number, x.span_id) for x in steps] == [(1, "parent"), (2, "child")]
    assert steps[1].parent_number == 1
    # Writing the same span again (its end) keeps the number.
    store.write(WriteBatch(steps=[make.row(s.id, 1, span_id="parent", name="ended")]))
    assert store.assign_step_numbers(s.id, ["parent"]) == {"parent": 1}
    assert store.get_step(s.id, 1).name == "ended"


def test_racing_assigners_never_hand_out_a_number_twice(
    twins: tuple[Store, Store], make: Factory
) -> None:
    sid = make.session_id()
    # Every thread also asks for a span that every other thread asks for.
    shared = [f"shared-{i}" for i in range(ROUNDS)]
    results: list[dict[str, int]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def assign(t: int) -> None:
        store = twins[t % 2]
        try:
            start.wait(timeout=30)
            for r in range(ROUNDS):
                own = [f"t{t}-r{r}-{i}" for i in range(PER_CALL)]
                results.append(store.assign_step_numbers(sid, [*own, shared[r]]))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=assign, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []

    by_span: dict[str, int] = {}
    for got in results:
        for span, number in got.items():
            # Whoever asked, a span has one number.
            assert by_span.setdefault(span, number) == number
    total = THREADS * ROUNDS * PER_CALL + ROUNDS
    assert len(by_span) == total
    # Gap-free and no number twice.
    assert sorted(by_span.values()) == list(range(1, total + 1))
    # Each call's new spans got consecutive numbers, in the order given.
    for got in results:
        own = [n for span, n in got.items() if not span.startswith("shared")]
        assert own == list(range(own[0], own[0] + PER_CALL))


def test_a_number_handed_out_wins_over_a_step_written_otherwise(
    store: Store, make: Factory
) -> None:
    s = make.session()
    assert store.assign_step_numbers(s.id, ["x"]) == {"x": 1}
    # A caller that ignored the number it was given: the store keeps its word.
    store.write(WriteBatch(sessions=[s], steps=[make.row(s.id, 4, span_id="x")]))
    assert store.assign_step_numbers(s.id, ["x", "y"]) == {"x": 1, "y": 5}


def test_many_sessions_are_numbered_at_once_as_one_by_one(store: Store, make: Factory) -> None:
    """New sessions, one with numbers handed out and one with written steps,
    numbered in one call: each as if asked alone."""
    fresh, reserved, written = make.session_id(), make.session_id(), make.session()
    store.assign_step_numbers(reserved, ["parent", "child"])
    rows = [make.row(written.id, 1, span_id="w1"), make.row(written.id, 5, span_id="w5")]
    store.write(WriteBatch(sessions=[written], steps=rows))
    asked = {
        written.id: ["new", "w5", "w1"],
        fresh: ["a", "b", "a"],
        reserved: ["child", "late"],
        make.session_id(): [],
    }
    with store.transaction() as tx:  # type: ignore[attr-defined]
        got = tx.assign_step_numbers_many(asked)
    assert got == {
        written.id: {"new": 6, "w5": 5, "w1": 1},
        fresh: {"a": 1, "b": 2},
        reserved: {"child": 2, "late": 3},
    }
    # And each session goes on from there.
    assert store.assign_step_numbers(fresh, ["c", "b"]) == {"c": 3, "b": 2}
    assert store.assign_step_numbers(written.id, ["new", "next"]) == {"new": 6, "next": 7}


def test_a_second_store_goes_on_from_the_first_ones_numbers(
    twins: tuple[Store, Store], make: Factory
) -> None:
    """A session the second store has not seen yet, but the data has."""
    one, two = twins
    sid = make.session_id()
    assert one.assign_step_numbers(sid, ["a", "b"]) == {"a": 1, "b": 2}
    assert two.assign_step_numbers(sid, ["b", "c"]) == {"b": 2, "c": 3}
    with one.transaction() as tx:  # type: ignore[attr-defined]
        assert tx.assign_step_numbers_many({sid: ["c", "d"]}) == {sid: {"c": 3, "d": 4}}
