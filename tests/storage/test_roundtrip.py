"""Sessions and steps come back exactly as written, on every backend."""

from __future__ import annotations

import orjson
import pytest

from agentreel.errors import StoreError, UnknownSession, UnknownStep
from agentreel.model import (
    ErrorInfo,
    ForkRef,
    Session,
    Status,
    Step,
    StepKind,
    TokenUsage,
)
from agentreel.storage import Store, WriteBatch

from ._factories import T0, Factory


def test_every_backend_satisfies_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)
    assert store.location


def test_session_round_trips_every_field(store: Store, make: Factory) -> None:
    session = Session(
        id=make.session_id(),
        name="fix the flaky test — ünïcödé 🚀",
        project="calc",
        tags=("demo", "nightly"),
        metadata={"repo": "calc", "nested": {"n": [1, 2.5, None, True]}, "ключ": "значение"},
        status=Status.ERROR,
        started_at=T0,
        ended_at=T0 + 5_000,
        error=ErrorInfo(type="RuntimeError", message="boom", traceback="Traceback\n  line 1"),
        forked_from=ForkRef(session_id=make.session_id(), step=7),
        parent_span_id="00f067aa0ba902b7",
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
    )
    store.write(WriteBatch(sessions=[session]))
    assert store.get_session(session.id) == session
    assert store.summarize(session.id).session == session


def test_session_defaults_round_trip(store: Store, make: Factory) -> None:
    session = make.session()
    store.write(WriteBatch(sessions=[session]))
    got = store.get_session(session.id)
    assert got == session
    assert got.forked_from is None
    assert got.error is None
    assert got.status is Status.RUNNING


def test_step_round_trips_every_field(store: Store, make: Factory) -> None:
    sid = make.session_id()
    big = "☃" * 50_000 + "end"
    row = make.row(
        sid,
        3,
        span_id="b7ad6b7169203331",
        parent_number=1,
        parent_span_id="00f067aa0ba902b7",
        kind="llm",
        name="chat gpt-4o — ünïcode",
        status="error",
        started_at=T0 + 10,
        ended_at=T0 + 99,
        attributes={
            "gen_ai.request.model": "gpt-4o-mini",
            "temperature": 0.25,
            "stream": False,
            "retries": 3,
            "stop": ["\n\n", "END"],
            "nested": {"a": {"b": [None, 1.5]}},
            "big": big,
            "emoji 🚀": "ok",
        },
        model="gpt-4o-mini",
        tokens_in=1200,
        tokens_out=345,
        tokens_cached=1000,
        tokens_reasoning=17,
        cost=0.004321,
        input_ref="a" * 64,
        output_ref="b" * 64,
        error=ErrorInfo(type="openai.RateLimitError", message="slow down ⏳", traceback="tb"),
    )
    store.write(WriteBatch(sessions=[make.session(id=sid)], steps=[row]))
    step = store.get_step(sid, 3)
    assert step == Step.from_row(row)
    assert step.kind is StepKind.LLM
    assert step.status is Status.ERROR
    assert step.usage == TokenUsage(input=1200, output=345, cached=1000, reasoning=17)
    assert step.attributes["big"] == big
    assert step.to_row() == row


def test_step_with_only_required_fields(store: Store, make: Factory) -> None:
    sid = make.session_id()
    row = make.row(sid, 1, status="running", ended_at=None)
    store.write(WriteBatch(sessions=[make.session(id=sid)], steps=[row]))
    step = store.get_step(sid, 1)
    assert step.to_row() == row
    assert step.ended_at is None
    assert step.cost is None
    assert step.attributes == {}


def test_tuples_in_attributes_come_back_as_lists(store: Store, make: Factory) -> None:
    # What JSON can hold is what every backend gives back, the memory one included.
    sid = make.session_id()
    store.write(WriteBatch(steps=[make.row(sid, 1, attributes={"pair": (1, 2)})]))
    assert store.get_step(sid, 1).attributes == {"pair": [1, 2]}


def test_attributes_may_arrive_encoded(store: Store, make: Factory) -> None:
    # The recorder encodes attributes once, on its own thread, and hands the
    # bytes on; a store must not encode them again.
    sid = make.session_id()
    encoded = orjson.dumps({"document": "ü" * 2000, "n": 1})
    store.write(WriteBatch(steps=[make.row(sid, 1, attributes=encoded)]))
    assert store.get_step(sid, 1).attributes == {"document": "ü" * 2000, "n": 1}


def test_enum_members_are_accepted_for_kind_and_status(store: Store, make: Factory) -> None:
    sid = make.session_id()
    row = make.row(sid, 1, kind=StepKind.RETRIEVAL, status=Status.ERROR)
    store.write(WriteBatch(steps=[row]))
    step = store.get_step(sid, 1)
    assert (step.kind, step.status) == (StepKind.RETRIEVAL, Status.ERROR)


def test_reads_return_copies(store: Store, make: Factory) -> None:
    sid = make.session_id()
    store.write(
        WriteBatch(
            sessions=[make.session(id=sid, metadata={"k": ["v"]})],
            steps=[make.row(sid, 1, attributes={"k": ["v"]})],
        )
    )
    step = store.get_step(sid, 1)
    step.attributes["k"].append("mutated")
    store.get_session(sid).metadata["k"].append("mutated")
    assert store.get_step(sid, 1).attributes == {"k": ["v"]}
    assert store.get_session(sid).metadata == {"k": ["v"]}


def test_get_steps_in_number_order_from_a_number(store: Store, make: Factory) -> None:
    sid = make.session_id()
    rows = [make.row(sid, n) for n in (5, 2, 4, 1, 3)]
    store.write(WriteBatch(sessions=[make.session(id=sid)], steps=rows))
    assert [s.number for s in store.get_steps(sid)] == [1, 2, 3, 4, 5]
    assert [s.number for s in store.get_steps(sid, from_number=3)] == [3, 4, 5]
    assert store.get_steps(sid, from_number=6) == []


def test_steps_of_one_session_only(store: Store, make: Factory) -> None:
    a, b = make.session_id(), make.session_id()
    store.write(
        WriteBatch(
            sessions=[make.session(id=a), make.session(id=b)],
            steps=[make.row(a, 1, name="a1"), make.row(b, 1, name="b1"), make.row(b, 2)],
        )
    )
    assert [s.name for s in store.get_steps(a)] == ["a1"]
    assert len(store.get_steps(b)) == 2


def test_known_session_without_steps(store: Store, make: Factory) -> None:
    session = make.session()
    store.write(WriteBatch(sessions=[session]))
    assert store.get_steps(session.id) == []
    with pytest.raises(UnknownStep) as info:
        store.get_step(session.id, 1)
    assert info.value.count == 0
    assert "has no steps" in str(info.value)


def test_steps_written_before_their_session_are_readable(store: Store, make: Factory) -> None:
    sid = make.session_id()
    store.write(WriteBatch(steps=[make.row(sid, 1)]))
    assert [s.number for s in store.get_steps(sid)] == [1]
    with pytest.raises(UnknownSession):
        store.get_session(sid)


def test_unknown_session_everywhere(store: Store, make: Factory) -> None:
    sid = make.session_id()
    with pytest.raises(UnknownSession) as info:
        store.get_session(sid)
    assert info.value.session_id == sid
    with pytest.raises(UnknownSession):
        store.summarize(sid)
    with pytest.raises(UnknownSession):
        store.get_steps(sid)
    with pytest.raises(UnknownSession):
        store.get_step(sid, 1)


def test_unknown_step_says_which_numbers_exist(store: Store, make: Factory) -> None:
    sid = make.session_id()
    store.write(
        WriteBatch(sessions=[make.session(id=sid)], steps=[make.row(sid, n) for n in (1, 2, 3)])
    )
    with pytest.raises(UnknownStep) as info:
        store.get_step(sid, 9)
    assert (info.value.session_id, info.value.number, info.value.count) == (sid, 9, 3)
    assert "1 to 3" in str(info.value)


def test_count_sessions(store: Store, make: Factory) -> None:
    assert store.count_sessions() == 0
    store.write(WriteBatch(sessions=[make.session() for _ in range(3)]))
    assert store.count_sessions() == 3


def test_a_batch_that_cannot_be_stored_leaves_nothing_behind(store: Store, make: Factory) -> None:
    sid = make.session_id()
    bad = WriteBatch(
        sessions=[make.session(id=sid)],
        steps=[make.row(sid, 1), make.row(sid, 2, attributes={"obj": object()})],
        blobs={"c" * 64: b"x"},
    )
    with pytest.raises(StoreError, match="JSON-safe"):
        store.write(bad)
    assert store.count_sessions() == 0
    with pytest.raises(UnknownSession):
        store.get_steps(sid)
    assert store.get_blobs(["c" * 64]) == {}


def test_empty_batch_is_fine(store: Store) -> None:
    store.write(WriteBatch())
    assert store.count_sessions() == 0


def test_close_is_idempotent(store: Store) -> None:
    store.close()
    store.close()
