"""Upserts: later writes win, except that a running row never undoes a finished one."""

from __future__ import annotations

import dataclasses

from agentreel.model import ErrorInfo, Status, StepKind, StepRow
from agentreel.storage import Store, WriteBatch

from ._factories import T0, Factory


def test_a_finished_step_replaces_its_running_start(store: Store, make: Factory) -> None:
    sid = make.session_id()
    start = make.row(sid, 1, status="running", ended_at=None, attributes={"phase": "start"})
    store.write(WriteBatch(sessions=[make.session(id=sid)], steps=[start]))
    assert store.get_step(sid, 1).status is Status.RUNNING

    end = start._replace(status="ok", ended_at=T0 + 9, attributes={"phase": "end"}, tokens_in=5)
    store.write(WriteBatch(steps=[end]))
    step = store.get_step(sid, 1)
    assert (step.status, step.ended_at, step.attributes, step.usage.input) == (
        Status.OK,
        T0 + 9,
        {"phase": "end"},
        5,
    )


def test_a_late_running_row_does_not_undo_an_end(store: Store, make: Factory) -> None:
    sid = make.session_id()
    end = make.row(sid, 1, status="error", error=ErrorInfo(type="E", message="m"))
    store.write(WriteBatch(steps=[end]))
    late_start = end._replace(status="running", ended_at=None, error=None, name="renamed")
    store.write(WriteBatch(steps=[late_start]))
    assert store.get_step(sid, 1).to_row() == end


def test_a_finished_row_replaces_a_finished_one(store: Store, make: Factory) -> None:
    sid = make.session_id()
    first = make.row(sid, 1, status="ok", cost=1.0)
    store.write(WriteBatch(steps=[first]))
    second = first._replace(status="error", cost=2.0)
    store.write(WriteBatch(steps=[second]))
    assert store.get_step(sid, 1).to_row() == second


def test_a_running_row_replaces_a_running_one(store: Store, make: Factory) -> None:
    sid = make.session_id()
    first = make.row(sid, 1, status="running", ended_at=None, attributes={"v": 1})
    second = first._replace(attributes={"v": 2})
    store.write(WriteBatch(steps=[first]))
    store.write(WriteBatch(steps=[second]))
    assert store.get_step(sid, 1).attributes == {"v": 2}


def test_within_a_batch_the_last_row_wins(store: Store, make: Factory) -> None:
    sid = make.session_id()
    rows = [
        make.row(sid, 1, status="running", ended_at=None, attributes={"v": 1}),
        make.row(sid, 2, attributes={"other": True}),
        make.row(sid, 1, status="ok", attributes={"v": 2}),
        make.row(sid, 1, status="ok", attributes={"v": 3}),
    ]
    store.write(WriteBatch(steps=rows))
    assert store.get_step(sid, 1).to_row() == rows[3]
    assert store.get_step(sid, 2).to_row() == rows[1]
    assert len(store.get_steps(sid)) == 2


def test_within_a_batch_a_running_row_does_not_undo_an_end(store: Store, make: Factory) -> None:
    sid = make.session_id()
    end = make.row(sid, 1, status="ok", attributes={"v": "end"})
    start = end._replace(status="running", ended_at=None, attributes={"v": "start"})
    store.write(WriteBatch(steps=[end, start]))
    assert store.get_step(sid, 1).to_row() == end


def test_session_end_replaces_its_start(store: Store, make: Factory) -> None:
    start = make.session(name="run", metadata={"phase": "start"})
    store.write(WriteBatch(sessions=[start]))
    end = dataclasses.replace(
        start, status=Status.OK, ended_at=T0 + 10, metadata={"phase": "end"}, tags=("done",)
    )
    store.write(WriteBatch(sessions=[end]))
    assert store.get_session(start.id) == end


def test_a_late_session_start_does_not_undo_its_end(store: Store, make: Factory) -> None:
    end = make.session(status=Status.ERROR, ended_at=T0 + 10)
    start = dataclasses.replace(end, status=Status.RUNNING, ended_at=None, name="again")
    store.write(WriteBatch(sessions=[end]))
    store.write(WriteBatch(sessions=[start]))
    assert store.get_session(end.id) == end
    # And the same inside one batch.
    other = make.session(status=Status.OK, ended_at=T0 + 1)
    store.write(
        WriteBatch(
            sessions=[other, dataclasses.replace(other, status=Status.RUNNING, ended_at=None)]
        )
    )
    assert store.get_session(other.id) == other


def test_session_upsert_within_a_batch_keeps_the_last(store: Store, make: Factory) -> None:
    s = make.session(name="first")
    store.write(WriteBatch(sessions=[s, dataclasses.replace(s, name="second")]))
    assert store.get_session(s.id).name == "second"
    assert store.count_sessions() == 1


def test_the_rule_holds_row_by_row_across_a_large_batch(store: Store, make: Factory) -> None:
    # Large enough that a store may write it in chunks of many rows per
    # statement (SQLite does): repeats of a step inside one chunk and across
    # chunk boundaries must still be applied in batch order.
    sid = make.session_id()
    rows: list[StepRow] = []
    expected: dict[int, StepRow] = {}
    for n in range(1, 60):
        start = make.row(sid, n, status="running", ended_at=None, attributes={"v": "start"})
        end = start._replace(status="ok", ended_at=T0 + n, attributes={"v": "end"})
        rows.append(start)
        if n % 3 == 0:
            rows += [end, start._replace(attributes={"v": "late"})]  # a late start loses
            expected[n] = end
        elif n % 3 == 1:
            expected[n] = start  # never finished
        else:
            rows.append(end)
            again = end._replace(status="error", attributes={"v": "again"})
            rows.append(again)  # a later finished row wins
            expected[n] = again
    for pad in range(100, 140):  # moves the repeats to other chunk offsets
        row = make.row(sid, pad)
        rows.insert(pad, row)
        expected[pad] = row
    store.write(WriteBatch(steps=rows))
    got = {step.number: step.to_row() for step in store.get_steps(sid)}
    assert got == expected


def test_rows_of_unusual_but_valid_types_are_stored(store: Store, make: Factory) -> None:
    """Enum members for text, an int cost among float ones: stored as their values."""
    sid = make.session_id()
    enums = make.row(sid, 1, kind=StepKind.LLM, status=Status.OK)
    store.write(WriteBatch(sessions=[make.session(id=sid)], steps=[enums]))
    costs = [make.row(sid, 2, cost=2), make.row(sid, 3, cost=0.5), make.row(sid, 4)]
    store.write(WriteBatch(steps=costs))
    steps = store.get_steps(sid)
    assert [(s.kind, s.status, s.cost) for s in steps] == [
        (StepKind.LLM, Status.OK, None),
        (StepKind.TOOL, Status.OK, 2.0),
        (StepKind.TOOL, Status.OK, 0.5),
        (StepKind.TOOL, Status.OK, None),
    ]


def test_new_steps_are_stored_like_upserted_ones(store: Store, make: Factory) -> None:
    # Enough rows for whole chunks of every size a store may insert them in.
    sid = make.session_id()
    new = [make.row(sid, n, attributes={"n": n}) for n in range(1, 45)]
    again = make.row(sid, 1, status="error", attributes={"v": "again"})
    store.write(WriteBatch(sessions=[make.session(id=sid)], steps=[*new, again], new_steps=44))
    got = {step.number: step.to_row() for step in store.get_steps(sid)}
    assert got == {**{r.number: r for r in new}, 1: again}


def test_a_new_step_that_was_there_after_all_follows_the_rule(store: Store, make: Factory) -> None:
    # A batch may call a row new that the store already has (another writer
    # wrote it): the outcome must be the upsert's, for every row of the batch.
    sid = make.session_id()
    end = make.row(sid, 2, status="ok", attributes={"v": "end"})
    running = make.row(sid, 3, status="running", ended_at=None, attributes={"v": "start"})
    store.write(WriteBatch(steps=[end, running]))
    rows = [
        make.row(sid, 1, attributes={"v": "one"}),
        end._replace(status="running", ended_at=None, attributes={"v": "late"}),
        running._replace(status="ok", attributes={"v": "finished"}),
        *(make.row(sid, n) for n in range(4, 40)),
    ]
    store.write(WriteBatch(steps=rows, new_steps=len(rows)))
    got = {step.number: step.to_row() for step in store.get_steps(sid)}
    assert got == {1: rows[0], 2: end, 3: rows[2], **{r.number: r for r in rows[3:]}}
