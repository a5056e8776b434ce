"""The official openai client's Responses API against FakeLLMServer."""

from __future__ import annotations

import asyncio
import json

import openai

from agentreel.testing import Answer, FakeLLMServer, ToolCall, Usage

from .conftest import STRICT

TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


def test_plain_answer_echoes_the_input(oai: openai.OpenAI) -> None:
    got = oai.responses.create(model="gpt-4.1", input="Say hello", instructions="Be kind.")
    assert got.object == "response"
    assert got.id.startswith("resp_")
    assert got.status == "completed"
    assert got.model == "gpt-4.1"
    assert got.instructions == "Be kind."
    assert got.output_text == "echo: Say hello"
    assert [item.type for item in got.output] == ["message"]
    assert got.output[0].id.startswith("msg_")


def test_input_items_and_usage(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.reply(Answer(text="Fine.", usage=Usage(input=50, output=20, cached=30, reasoning=8)))
    got = oai.responses.create(
        model="gpt-4.1",
        input=[
            {"role": "user", "content": "ignored, not the last"},
            {"role": "user", "content": [{"type": "input_text", "text": "How are you?"}]},
        ],
    )
    assert got.output_text == "Fine."
    assert got.usage is not None
    assert (got.usage.input_tokens, got.usage.output_tokens, got.usage.total_tokens) == (50, 20, 70)
    assert got.usage.input_tokens_details.cached_tokens == 30
    assert got.usage.output_tokens_details.reasoning_tokens == 8
    # With no reply queued, the echo picks the last user item.
    again = oai.responses.create(
        model="gpt-4.1",
        input=[
            {"role": "user", "content": "first"},
            {"role": "user", "content": [{"type": "input_text", "text": "second"}]},
        ],
    )
    assert again.output_text == "echo: second"


def test_function_calls(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.reply(
        Answer(
            tool_calls=[
                ToolCall(name="get_weather", arguments={"city": "Oslo"}),
                ToolCall(name="get_weather", arguments={"city": "Lima"}),
            ]
        )
    )
    got = oai.responses.create(model="gpt-4.1", input="weather?", tools=TOOLS)
    calls = [item for item in got.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_weather", {"city": "Lima"}),
    ]
    assert all(c.call_id.startswith("call_") for c in calls)
    assert calls[0].call_id != calls[1].call_id
    assert got.output_text == ""
    # The request's tools are echoed back, made strict as the real API does.
    assert [t.name for t in got.tools] == ["get_weather"]
    assert got.tools[0].strict is True


def test_create_stream_emits_the_event_sequence(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.reply(
        Answer(
            text=["Checking ", "now."],
            tool_calls=[ToolCall(name="get_weather", arguments={"city": "Oslo"}, chunk_size=6)],
        )
    )
    events = list(oai.responses.create(model="gpt-4.1", input="weather?", stream=True))
    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text_deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert text_deltas == ["Checking ", "now."]
    arg_deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert arg_deltas == ['{"city', '":"Osl', 'o"}']
    created, completed = events[0], events[-1]
    assert created.response.status == "in_progress"
    assert completed.response.status == "completed"
    assert created.response.id == completed.response.id
    assert completed.response.output_text == "Checking now."


def test_stream_helper_builds_the_final_response(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.reply(
        Answer(
            text=["It is ", "sunny", "."],
            tool_calls=[ToolCall(name="get_weather", arguments={"city": "Oslo"})],
            usage=Usage(input=11, output=7),
        )
    )
    with oai.responses.stream(model="gpt-4.1", input="weather?", tools=TOOLS) as stream:
        snapshots = [e.snapshot for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert snapshots == ["It is ", "It is sunny", "It is sunny."]
    assert final.output_text == "It is sunny."
    calls = [item for item in final.output if item.type == "function_call"]
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", '{"city":"Oslo"}')]
    assert final.usage is not None and final.usage.total_tokens == 18


def test_async_stream_helper(server: FakeLLMServer) -> None:
    server.reply(Answer(text=["as", "ync"]))

    async def main() -> tuple[list[str], str]:
        async with openai.AsyncOpenAI(
            base_url=server.openai_base_url, api_key="test", **STRICT
        ) as client:
            async with client.responses.stream(model="gpt-4.1", input="hi") as stream:
                deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
                final = await stream.get_final_response()
        return deltas, final.output_text

    assert asyncio.run(main()) == (["as", "ync"], "async")
    assert server.requests[0].endpoint == "responses"
    assert server.requests[0].stream is True
