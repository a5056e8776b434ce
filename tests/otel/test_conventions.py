"""Hand-built spans in each convention's shape, made and encoded by the OpenTelemetry SDK."""

from __future__ import annotations

import json

import pytest
from opentelemetry.trace import Status as OtelStatus
from opentelemetry.trace import StatusCode

from agentreel.model import Status, StepKind, TokenUsage
from agentreel.otel import kind_of
from agentreel.storage import SQLiteStore

from ._otlp import Tracing, payload, send


def test_current_genai_conventions_with_tool_calls(tracing: Tracing, store: SQLiteStore) -> None:
    tracer = tracing.tracer
    agent = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "planner",
        "gen_ai.conversation.id": "c-1",
    }
    with tracer.start_as_current_span("invoke_agent planner", attributes=agent):
        with tracer.start_as_current_span("chat gpt-4o") as chat:
            chat.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.usage.input_tokens": 100,
                    "gen_ai.usage.output_tokens": 20,
                    "gen_ai.usage.cache_read.input_tokens": 40,
                    "gen_ai.usage.reasoning.output_tokens": 5,
                    "gen_ai.system_instructions": json.dumps(
                        [{"type": "text", "content": "You plan trips."}]
                    ),
                    "gen_ai.input.messages": json.dumps(
                        [
                            {"role": "user", "parts": [{"type": "text", "content": "Paris?"}]},
                            {
                                "role": "assistant",
                                "parts": [
                                    {
                                        "type": "tool_call",
                                        "id": "t1",
                                        "name": "weather",
                                        "arguments": {"city": "Paris"},
                                    },
                                ],
                            },
                            {
                                "role": "tool",
                                "parts": [
                                    {
                                        "type": "tool_call_response",
                                        "id": "t1",
                                        "response": "sunny",
                                    },
                                ],
                            },
                        ]
                    ),
                    "gen_ai.output.messages": json.dumps(
                        [
                            {
                                "role": "assistant",
                                "parts": [{"type": "text", "content": "Go, it is sunny."}],
                                "finish_reason": "stop",
                            }
                        ]
                    ),
                    "gen_ai.tool.definitions": json.dumps(
                        [{"type": "function", "name": "weather", "parameters": {}}]
                    ),
                    "gen_ai.request.temperature": 0.2,
                }
            )
        tool = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "weather",
            "gen_ai.tool.call.id": "t1",
            "gen_ai.tool.call.arguments": '{"city": "Paris"}',
            "gen_ai.tool.call.result": '{"sky": "sunny"}',
        }
        with tracer.start_as_current_span("execute_tool weather", attributes=tool) as span:
            span.set_status(OtelStatus(StatusCode.ERROR, "rate limited"))
    report = send(store, tracing.take())
    assert (report.accepted, report.rejected) == (3, 0)
    (sid,) = report.session_ids
    session = store.get_session(sid)
    assert session.name == "planner"
    assert session.metadata["otel.session_id_attribute"] == "gen_ai.conversation.id"
    # A step failed, but the root did not: the run as a whole ended well.
    assert session.status is Status.OK
    agent_step, chat, tool_step = store.get_steps(sid)
    assert (agent_step.kind, agent_step.name) == (StepKind.AGENT, "planner")
    assert (chat.kind, chat.parent_number) == (StepKind.LLM, 1)
    assert chat.model == "gpt-4o-2024-08-06"
    assert chat.usage == TokenUsage(input=100, output=20, cached=40, reasoning=5)
    assert chat.attributes["gen_ai.request.model"] == "gpt-4o"
    assert chat.attributes["gen_ai.request.temperature"] == 0.2
    assert payload(store, chat.input_ref) == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You plan trips."},
            {"role": "user", "content": "Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
        ],
        "tools": [{"type": "function", "name": "weather", "parameters": {}}],
    }
    assert payload(store, chat.output_ref) == {"role": "assistant", "content": "Go, it is sunny."}
    assert (tool_step.kind, tool_step.name, tool_step.status) == (
        StepKind.TOOL,
        "weather",
        Status.ERROR,
    )
    assert payload(store, tool_step.input_ref) == {"city": "Paris"}
    assert payload(store, tool_step.output_ref) == {"sky": "sunny"}
    assert tool_step.error is not None
    assert (tool_step.error.type, tool_step.error.message) == ("Error", "rate limited")


def test_older_genai_message_events(tracing: Tracing, store: SQLiteStore) -> None:
    with tracing.tracer.start_as_current_span("chat") as span:
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.prompt_tokens": 7,
                "gen_ai.usage.completion_tokens": 2,
            }
        )
        span.add_event("gen_ai.system.message", {"content": "be terse"})
        span.add_event("gen_ai.user.message", {"content": "ping"})
        span.add_event(
            "gen_ai.choice",
            {"index": 0, "finish_reason": "stop", "message": json.dumps({"content": "pong"})},
        )
        span.add_event("retry", {"attempt": 1})
    report = send(store, tracing.take())
    (step,) = store.get_steps(report.session_ids[0])
    assert step.kind is StepKind.LLM
    assert step.usage == TokenUsage(input=7, output=2)
    assert payload(store, step.input_ref)["messages"] == [
        {"role": "system", "content": "be terse"},
        {"role": "user", "content": "ping"},
    ]
    assert payload(store, step.output_ref) == {"role": "assistant", "content": "pong"}
    (event,) = step.attributes["otel.events"]
    assert (event["name"], event["attributes"]) == ("retry", {"attempt": 1})


def test_openllmetry_flat_prompt_attributes(tracing: Tracing, store: SQLiteStore) -> None:
    attrs = {
        "llm.request.type": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "weather in Oslo?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.id": "call_9",
        "gen_ai.completion.0.tool_calls.0.name": "weather",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Oslo"}',
        "llm.request.functions.0.name": "weather",
        "llm.request.functions.0.parameters": '{"type": "object"}',
        "traceloop.association.properties.session_id": "s-5",
    }
    with tracing.tracer.start_as_current_span("openai.chat", attributes=attrs):
        pass
    report = send(store, tracing.take())
    session = store.get_session(report.session_ids[0])
    assert session.metadata["otel.session_id"] == "s-5"
    (step,) = store.get_steps(session.id)
    assert step.kind is StepKind.LLM
    assert payload(store, step.input_ref) == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "weather in Oslo?"}],
        "tools": [
            {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
        ],
    }
    assert payload(store, step.output_ref) == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_9",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
            }
        ],
    }
    assert not any(k.startswith(("gen_ai.prompt", "gen_ai.completion")) for k in step.attributes)


@pytest.mark.parametrize(
    ("attrs", "kind"),
    [
        ({"gen_ai.operation.name": "chat"}, StepKind.LLM),
        ({"gen_ai.operation.name": "text_completion"}, StepKind.LLM),
        ({"gen_ai.operation.name": "generate_content"}, StepKind.LLM),
        ({"gen_ai.operation.name": "execute_tool"}, StepKind.TOOL),
        ({"gen_ai.operation.name": "invoke_agent"}, StepKind.AGENT),
        ({"gen_ai.operation.name": "create_agent"}, StepKind.AGENT),
        ({"gen_ai.operation.name": "embeddings"}, StepKind.RETRIEVAL),
        ({"openinference.span.kind": "LLM"}, StepKind.LLM),
        ({"openinference.span.kind": "TOOL"}, StepKind.TOOL),
        ({"openinference.span.kind": "AGENT"}, StepKind.AGENT),
        ({"openinference.span.kind": "CHAIN"}, StepKind.CUSTOM),
        ({"openinference.span.kind": "RETRIEVER"}, StepKind.RETRIEVAL),
        ({"openinference.span.kind": "EMBEDDING"}, StepKind.RETRIEVAL),
        ({"openinference.span.kind": "RERANKER"}, StepKind.RETRIEVAL),
        ({"openinference.span.kind": "GUARDRAIL"}, StepKind.GUARDRAIL),
        ({"traceloop.span.kind": "workflow"}, StepKind.AGENT),
        ({"traceloop.span.kind": "task"}, StepKind.CUSTOM),
        ({"traceloop.span.kind": "tool"}, StepKind.TOOL),
        ({"llm.request.type": "embedding"}, StepKind.RETRIEVAL),
        ({"agentreel.step.kind": "plan", "gen_ai.operation.name": "chat"}, StepKind.PLAN),
        ({"openinference.span.kind": "TOOL", "gen_ai.operation.name": "chat"}, StepKind.TOOL),
        ({"gen_ai.operation.name": "dance"}, StepKind.CUSTOM),
        ({"http.method": "GET"}, StepKind.CUSTOM),
    ],
)
def test_kinds(attrs: dict[str, str], kind: StepKind) -> None:
    assert kind_of(attrs) is kind
