"""Spans from the real OpenAI instrumentations, through the real OTLP encoding, into a store.

The official ``openai`` client talks to ``FakeLLMServer``; OpenInference's and
OpenLLMetry's instrumentors record its calls on an SDK tracer provider; the
spans are encoded as the OTLP/HTTP exporter does (protobuf, and OTLP/JSON),
decoded and ingested into a SQLite file, and read back.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openinference.instrumentation import using_session
from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInferenceOpenAI
from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLLMetryOpenAI

from agentreel.model import Status, StepKind, TokenUsage
from agentreel.pricing import DEFAULT_PRICES
from agentreel.storage import SQLiteStore
from agentreel.testing import Answer, FakeLLMServer, HTTPError, ToolCall, Usage

from ._otlp import Tracing, payload, send

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
SCRIPT = [
    Answer(text="hello there", usage=Usage(input=12, output=3, cached=2)),
    Answer(
        tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"}, id="call_1")],
        usage=Usage(input=20, output=5),
    ),
]


def _conversation(client: openai.OpenAI) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
    )
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}], tools=TOOLS
    )


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(SCRIPT) as server:
        yield server


def _client(server: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def openinference(tracing: Tracing) -> Iterator[Tracing]:
    instrumentor = OpenInferenceOpenAI()
    instrumentor.instrument(tracer_provider=tracing.provider)
    yield tracing
    instrumentor.uninstrument()


@pytest.fixture
def openllmetry(tracing: Tracing) -> Iterator[Tracing]:
    instrumentor = OpenLLMetryOpenAI()
    with warnings.catch_warnings():
        # Its Responses module declares a pydantic model the pre-2.0 way; not ours to fix.
        warnings.filterwarnings("ignore", "Support for class-based `config`", DeprecationWarning)
        instrumentor.instrument(tracer_provider=tracing.provider)
    yield tracing
    instrumentor.uninstrument()


def _record_openinference(tracing: Tracing, llm: FakeLLMServer) -> list[Any]:
    client = _client(llm)
    with using_session("conv-42"):
        with tracing.tracer.start_as_current_span(
            "triage-agent", attributes={"openinference.span.kind": "AGENT"}
        ):
            _conversation(client)
            with tracing.tracer.start_as_current_span(
                "get_weather",
                attributes={
                    "openinference.span.kind": "TOOL",
                    "tool.name": "get_weather",
                    "input.value": '{"city": "Paris"}',
                    "input.mime_type": "application/json",
                    "output.value": "sunny, 21 C",
                    "output.mime_type": "text/plain",
                },
            ):
                pass
    spans = tracing.take()
    assert [s.name for s in spans] == [
        "ChatCompletion",
        "ChatCompletion",
        "get_weather",
        "triage-agent",
    ], "the OpenInference instrumentor did not record the openai client's calls"
    return spans


@pytest.mark.parametrize("as_json", [False, True], ids=["protobuf", "json"])
def test_openinference_spans_become_a_session(
    openinference: Tracing, llm: FakeLLMServer, store: SQLiteStore, as_json: bool
) -> None:
    spans = _record_openinference(openinference, llm)
    report = send(store, spans, as_json=as_json, project="team-a")
    assert (report.accepted, report.rejected, report.message) == (4, 0, "")

    expected_id = hashlib.sha256(b"team-a\0conv-42").hexdigest()[:32]
    assert report.session_ids == (expected_id,)
    session = store.get_session(expected_id)
    assert session.project == "team-a"
    assert session.name == "triage-agent"
    assert session.status is Status.OK
    assert session.metadata["otel.session_id"] == "conv-42"
    assert session.metadata["otel.session_id_attribute"] == "session.id"
    assert session.metadata["service.name"] == "checkout-agent"
    assert session.started_at == min(s.start_time for s in spans)
    assert session.ended_at == max(s.end_time for s in spans)

    steps = store.get_steps(expected_id)
    assert [(s.number, s.kind, s.name, s.parent_number) for s in steps] == [
        (1, StepKind.AGENT, "triage-agent", None),
        (2, StepKind.LLM, "ChatCompletion", 1),
        (3, StepKind.LLM, "ChatCompletion", 1),
        (4, StepKind.TOOL, "get_weather", 1),
    ]
    chat, tool_turn, tool = steps[1], steps[2], steps[3]
    assert chat.model == "gpt-4o-mini"
    assert chat.usage == TokenUsage(input=12, output=3, cached=2, reasoning=0)
    assert chat.cost == DEFAULT_PRICES.cost("gpt-4o-mini", chat.usage)
    assert chat.cost is not None and chat.cost > 0
    assert payload(store, chat.input_ref) == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
        ],
    }
    assert payload(store, chat.output_ref) == {"role": "assistant", "content": "hello there"}

    request = payload(store, tool_turn.input_ref)
    assert request["messages"] == [{"role": "user", "content": "weather?"}]
    assert request["tools"] == TOOLS
    assert payload(store, tool_turn.output_ref) == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    }
    assert tool_turn.usage == TokenUsage(input=20, output=5)
    assert payload(store, tool.input_ref) == {"city": "Paris"}
    assert payload(store, tool.output_ref) == "sunny, 21 C"
    # What no field holds stays as an attribute; what was mapped does not repeat there.
    assert chat.attributes["llm.system"] == "openai"
    assert chat.attributes["otel.scope.name"] == "openinference.instrumentation.openai"
    assert not any(k.startswith(("llm.input_messages", "llm.token_count")) for k in chat.attributes)
    assert chat.attributes["llm.finish_reason"] == "stop"
    assert "input.value" not in chat.attributes


def test_protobuf_and_json_store_the_same(
    openinference: Tracing, llm: FakeLLMServer, tmp_path: Path
) -> None:
    spans = _record_openinference(openinference, llm)
    stores = [SQLiteStore(tmp_path / "pb.db"), SQLiteStore(tmp_path / "json.db")]
    try:
        send(stores[0], spans)
        send(stores[1], spans, as_json=True)
        (sid,) = [s.session.id for s in stores[0].list_sessions()]
        assert stores[0].get_session(sid) == stores[1].get_session(sid)
        assert stores[0].get_steps(sid) == stores[1].get_steps(sid)
    finally:
        for s in stores:
            s.close()


def test_openinference_records_a_failed_call(openinference: Tracing, store: SQLiteStore) -> None:
    with FakeLLMServer([HTTPError(status=400, message="context too long")]) as server:
        with pytest.raises(openai.BadRequestError):
            _client(server).chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
            )
    spans = openinference.take()
    assert len(spans) == 1
    report = send(store, spans)
    (step,) = store.get_steps(report.session_ids[0])
    assert step.status is Status.ERROR
    assert step.error is not None
    assert step.error.type == "openai.BadRequestError"
    assert "context too long" in step.error.message
    assert step.error.traceback  # the exception event's stack trace
    session = store.get_session(report.session_ids[0])
    # One span, no session key: the trace is the session, and its root failed.
    assert session.id == format(spans[0].context.trace_id, "032x")
    assert session.status is Status.ERROR


@pytest.mark.parametrize("as_json", [False, True], ids=["protobuf", "json"])
def test_openllmetry_spans_become_a_session(
    openllmetry: Tracing, llm: FakeLLMServer, store: SQLiteStore, as_json: bool
) -> None:
    tracing = openllmetry
    client = _client(llm)
    with tracing.tracer.start_as_current_span(
        "weather.workflow",
        attributes={
            "traceloop.span.kind": "workflow",
            "traceloop.entity.name": "weather",
            "gen_ai.conversation.id": "thread-7",
            "gen_ai.agent.name": "Weather bot",
        },
    ):
        _conversation(client)
    spans = tracing.take()
    assert [s.name for s in spans] == ["openai.chat", "openai.chat", "weather.workflow"], (
        "OpenLLMetry's instrumentor did not record the openai client's calls"
    )
    report = send(store, spans, as_json=as_json)
    assert (report.accepted, report.rejected) == (3, 0)

    # Only the root names the conversation; its children in the request join it.
    (sid,) = report.session_ids
    assert sid == hashlib.sha256(b"default\0thread-7").hexdigest()[:32]
    session = store.get_session(sid)
    assert session.name == "Weather bot"
    steps = store.get_steps(sid)
    assert [(s.number, s.kind, s.name, s.parent_number) for s in steps] == [
        (1, StepKind.AGENT, "Weather bot", None),
        (2, StepKind.LLM, "openai.chat", 1),
        (3, StepKind.LLM, "openai.chat", 1),
    ]
    chat, tool_turn = steps[1], steps[2]
    assert chat.model == "gpt-4o-mini"
    assert chat.usage == TokenUsage(input=12, output=3, cached=2)
    assert payload(store, chat.input_ref) == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
        ],
    }
    assert payload(store, chat.output_ref) == {"role": "assistant", "content": "hello there"}
    request = payload(store, tool_turn.input_ref)
    assert [t["name"] for t in request["tools"]] == ["get_weather"]
    answer = payload(store, tool_turn.output_ref)
    assert answer["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        }
    ]
    assert chat.attributes["gen_ai.provider.name"] == "openai"
    assert chat.attributes["gen_ai.operation.name"] == "chat"
