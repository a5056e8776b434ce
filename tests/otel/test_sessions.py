"""Retries, spans of one session spread over requests, and agentreel's own export."""

from __future__ import annotations

from opentelemetry.trace import Status as OtelStatus
from opentelemetry.trace import StatusCode

from agentreel.model import Status, StepKind
from agentreel.storage import SQLiteStore

from ._otlp import Tracing, send


def _tree(tracing: Tracing) -> list:
    """root → (a → a1), b; returned in the order an exporter sends them (children first)."""
    tracer = tracing.tracer
    with tracer.start_as_current_span("root", attributes={"openinference.span.kind": "AGENT"}):
        with tracer.start_as_current_span("a"):
            with tracer.start_as_current_span("a1"):
                pass
        with tracer.start_as_current_span("b"):
            pass
    return tracing.take()


def test_a_retried_request_is_stored_once(tracing: Tracing, store: SQLiteStore) -> None:
    spans = _tree(tracing)
    first = send(store, spans)
    before = (store.get_session(first.session_ids[0]), store.get_steps(first.session_ids[0]))
    again = send(store, spans)
    assert again.session_ids == first.session_ids
    assert (again.accepted, again.rejected) == (4, 0)
    after = (store.get_session(first.session_ids[0]), store.get_steps(first.session_ids[0]))
    assert after == before
    assert store.count_sessions() == 1


def test_children_sent_before_their_parents_still_number_after_them(
    tracing: Tracing, store: SQLiteStore
) -> None:
    a1, a, b, root = _tree(tracing)
    assert [s.name for s in (a1, a, b, root)] == ["a1", "a", "b", "root"]
    sid = send(store, [a1]).session_ids[0]
    # a1's parent a was named first and reserved number 1, before a arrived.
    assert [(s.number, s.name, s.parent_number) for s in store.get_steps(sid)] == [(2, "a1", 1)]
    send(store, [a, b])
    send(store, [root])
    steps = store.get_steps(sid)
    assert [(s.number, s.name, s.parent_number) for s in steps] == [
        (1, "a", 3),
        (2, "a1", 1),
        (3, "root", None),
        (4, "b", 3),
    ]
    session = store.get_session(sid)
    assert session.name == "root"
    assert session.started_at == root.start_time
    assert session.ended_at == root.end_time


def test_in_one_request_parents_number_before_children(
    tracing: Tracing, store: SQLiteStore
) -> None:
    sid = send(store, _tree(tracing)).session_ids[0]
    steps = store.get_steps(sid)
    assert [(s.number, s.name, s.parent_number) for s in steps] == [
        (1, "root", None),
        (2, "a", 1),
        (3, "a1", 2),
        (4, "b", 1),
    ]


def test_a_conversation_spans_traces_and_requests(tracing: Tracing, store: SQLiteStore) -> None:
    tracer = tracing.tracer
    attrs = {"gen_ai.conversation.id": "chat-1", "gen_ai.operation.name": "chat"}
    with tracer.start_as_current_span("turn 1", attributes=attrs):
        pass
    first = tracing.take()
    with tracer.start_as_current_span("turn 2", attributes=attrs) as span:
        span.set_status(OtelStatus(StatusCode.ERROR, "boom"))
    second = tracing.take()
    assert first[0].context.trace_id != second[0].context.trace_id
    (sid,) = send(store, second).session_ids
    assert send(store, first).session_ids == (sid,)
    session = store.get_session(sid)
    assert session.started_at == first[0].start_time
    assert session.ended_at == second[0].end_time
    assert session.status is Status.ERROR  # a root span failed
    assert session.error is not None and session.error.message == "boom"
    assert [s.name for s in store.get_steps(sid)] == ["turn 2", "turn 1"]


SID = "5f0c6a1e2b3d4c5e6f708192a3b4c5d6"


def _ours(tracing: Tracing, number: int, state: str, **extra: object) -> dict[str, object]:
    return {
        "agentreel.session.id": SID,
        "gen_ai.conversation.id": SID,
        "agentreel.session.name": "nightly triage",
        "agentreel.session.tags": ["nightly", "ci"],
        "agentreel.step.number": number,
        "agentreel.step.state": state,
        **extra,
    }


def test_agentreel_spans_keep_their_numbers_and_finish_running_steps(
    tracing: Tracing, store: SQLiteStore
) -> None:
    tracer = tracing.tracer
    agent = _ours(tracing, 1, "running", **{"agentreel.step.kind": "agent"})
    # What the SDK sends when a step starts: the span, marked running.
    with tracer.start_as_current_span("triage", attributes=agent):
        pass
    running = tracing.take()
    report = send(store, running)
    assert report.session_ids == (SID,)
    (step,) = store.get_steps(SID)
    assert (step.number, step.kind, step.status, step.ended_at) == (
        1,
        StepKind.AGENT,
        Status.RUNNING,
        None,
    )
    session = store.get_session(SID)
    assert (session.name, session.tags, session.status) == (
        "nightly triage",
        ("nightly", "ci"),
        Status.RUNNING,
    )
    plan = _ours(
        tracing,
        2,
        "ended",
        **{
            "agentreel.step.kind": "plan",
            "agentreel.step.parent_number": 1,
            "agentreel.step.input": '{"task": "fix"}',
            "agentreel.step.output": '"done"',
            "agentreel.attr.retries": 2,
            "agentreel.attr.config": '{"depth": 3}',
            "agentreel.attr.note": "[not json]",
            "agentreel.attr_json": ["config"],
        },
    )
    with tracer.start_as_current_span("make plan", attributes=plan):
        pass
    ended = dict(agent, **{"agentreel.step.state": "ended"})
    with tracer.start_as_current_span("triage", attributes=ended):
        pass
    send(store, tracing.take())
    send(store, running)  # a late copy of the start changes nothing
    top, child = store.get_steps(SID)
    assert (top.number, top.status) == (1, Status.OK)
    assert top.ended_at is not None
    assert (child.number, child.kind, child.parent_number) == (2, StepKind.PLAN, 1)
    assert child.attributes == {"retries": 2, "config": {"depth": 3}, "note": "[not json]"}
    from ._otlp import payload

    assert payload(store, child.input_ref) == {"task": "fix"}
    assert payload(store, child.output_ref) == "done"


def test_a_failed_top_level_step_does_not_end_a_session_its_own_span_says_runs(
    tracing: Tracing, store: SQLiteStore
) -> None:
    # The SDK states its session's state in a span of its own; a top-level
    # step skipped at a breakpoint fails while the agent runs on.
    tracer = tracing.tracer
    session_span = {
        "gen_ai.conversation.id": SID,
        "agentreel.session.id": SID,
        "agentreel.session.name": "nightly triage",
    }
    with tracer.start_as_current_span(
        "agentreel.session", attributes={**session_span, "agentreel.session.state": "running"}
    ):
        pass
    send(store, tracing.take())
    with tracer.start_as_current_span(
        "write_note", attributes=_ours(tracing, 1, "ended", **{"agentreel.step.kind": "tool"})
    ) as span:
        span.set_status(OtelStatus(StatusCode.ERROR, "skipped at a breakpoint"))
    send(store, tracing.take())
    assert store.get_steps(SID)[0].status is Status.ERROR
    session = store.get_session(SID)
    assert (session.status, session.ended_at) == (Status.RUNNING, None)
    with tracer.start_as_current_span(
        "agentreel.session", attributes={**session_span, "agentreel.session.state": "ok"}
    ):
        pass
    send(store, tracing.take())
    session = store.get_session(SID)
    assert session.status is Status.OK
    assert session.ended_at is not None
