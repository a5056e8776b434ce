"""What a recorded session looks like on the wire: spans, ids and attributes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import agentreel
from agentreel.remote import SESSION_SPAN, RemoteStore, session_span_id

from ._receiver import ReceivedSpan, Receiver
from ._sessions import QUESTION, TOOL_CALL, record_triage


def _final(spans: list[ReceivedSpan]) -> dict[int, ReceivedSpan]:
    """Each step's ended copy, by step number."""
    return {
        s.attributes["agentreel.step.number"]: s
        for s in spans
        if s.attributes.get("agentreel.step.state") == "ended"
    }


def test_a_recorded_session_arrives_as_spans_with_genai_and_agentreel_attributes(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    store = make_store(receiver.url, api_key="k-test-123")
    session_id = record_triage(store)
    spans = receiver.accepted()
    steps = _final(spans)
    assert sorted(steps) == [1, 2, 3, 4, 5]
    agent, llm, tool, answer, divide = (steps[n] for n in range(1, 6))

    request = receiver.requests[0]
    assert request.headers["Authorization"] == "Bearer k-test-123"
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Content-Type"] == "application/x-protobuf"
    assert llm.resource["service.name"] == "agentreel"

    # Ids: one trace per session; steps nest by parent span id.
    assert {s.trace_id for s in spans} == {session_id}
    assert agent.parent_span_id == ""
    assert llm.parent_span_id == agent.span_id
    assert (llm.name, llm.status_code, llm.status_message) == ("ask", 1, "")
    assert llm.start < llm.end

    assert agent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent.attributes["gen_ai.agent.name"] == "fixer"
    assert "agentreel.step.parent_number" not in agent.attributes

    attrs = llm.attributes
    expected: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 3,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.conversation.id": session_id,
        "agentreel.session.id": session_id,
        "agentreel.session.name": "triage",
        "agentreel.session.tags": ["nightly", "ci"],
        "agentreel.session.project": "team-a",
        "agentreel.step.number": 2,
        "agentreel.step.kind": "llm",
        "agentreel.step.parent_number": 1,
        "agentreel.step.state": "ended",
        "agentreel.attr.temperature": 0.2,
        "agentreel.attr.stop": '["END"]',
        "agentreel.attr.opts": '{"a":1}',
        "agentreel.attr.none": "null",
        "agentreel.attr.label": "[1]",
        "agentreel.attr_json": ["stop", "opts", "none"],
    }
    assert {k: attrs.get(k) for k in expected} == expected
    assert attrs["agentreel.step.cost"] > 0
    assert len(attrs["agentreel.step.input_ref"]) == 64
    assert json.loads(attrs["agentreel.step.input"]) == {"messages": QUESTION}
    assert json.loads(attrs["agentreel.step.output"]) == TOOL_CALL
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [{"type": "text", "content": "what is 2+2?"}]},
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_1", "name": "add", "arguments": {"a": 2, "b": 2}}
            ],
            "finish_reason": "tool_calls",
        }
    ]

    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gen_ai.tool.name"] == "add"
    assert json.loads(tool.attributes["agentreel.step.output"]) == 4
    assert "gen_ai.input.messages" not in tool.attributes  # only model calls carry messages

    assert json.loads(answer.attributes["agentreel.step.input"])["messages"][-1]["content"] == "4"
    assert json.loads(answer.attributes["gen_ai.input.messages"])[-1] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_1", "response": "4"}],
    }

    assert (divide.status_code, divide.status_message) == (2, "ZeroDivisionError: division by zero")
    assert divide.attributes["error.type"] == "ZeroDivisionError"
    ((event, event_attrs),) = divide.events
    assert event == "exception"
    assert "1 / 0" in event_attrs["exception.stacktrace"]

    sessions = [s for s in spans if s.name == SESSION_SPAN]
    assert sessions, "no session span arrived"
    last = sessions[-1]
    assert last.span_id == session_span_id(session_id)
    assert last.attributes["agentreel.session.state"] == "ok"
    assert last.attributes["agentreel.session.metadata"] == '{"repo":"calc"}'
    assert last.attributes["agentreel.session.tags"] == ["nightly", "ci"]
    assert not any(k.startswith("agentreel.step.") for k in last.attributes)
    assert last.start < last.end

    stats = store.stats()
    assert stats["spans_sent"] == stats["spans_spooled"] == len(spans)
    assert stats["left_in_spool"] == stats["payload_missing"] == stats["truncated"] == 0


def test_a_step_is_sent_when_it_starts(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    store = make_store(receiver.url)
    agentreel.configure(store=store, flush_interval=0.02)

    def running(name: str) -> list[ReceivedSpan]:
        return [
            s
            for s in receiver.accepted()
            if s.name == name and s.attributes["agentreel.step.state"] == "running"
        ]

    with agentreel.session("live"):
        with agentreel.step("tool", "slow", input={"path": "/tmp/x"}):
            receiver.wait_for(lambda: bool(running("slow")))
            (seen,) = running("slow")
            assert seen.end == seen.start
            assert seen.status_code == 0
            assert json.loads(seen.attributes["agentreel.step.input"]) == {"path": "/tmp/x"}
            assert "agentreel.step.output_ref" not in seen.attributes
    agentreel.shutdown()
    store.close()
    (ended,) = _final(receiver.accepted()).values()
    assert ended.span_id == seen.span_id
    assert ended.end > ended.start
    session_states = [
        s.attributes["agentreel.session.state"]
        for s in receiver.accepted()
        if s.name == SESSION_SPAN
    ]
    assert session_states == ["running", "ok"]
