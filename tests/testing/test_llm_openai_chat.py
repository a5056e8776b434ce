"""The official openai client's Chat Completions API against FakeLLMServer."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

import openai

from agentreel.testing import Answer, FakeLLMServer, ToolCall, Usage

from .conftest import STRICT

USER = [{"role": "user", "content": "What is the capital of France?"}]


def test_default_answer_echoes_the_last_user_message(oai: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": [{"type": "text", "text": "second question"}]},
    ]
    got = oai.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert got.object == "chat.completion"
    assert got.id.startswith("chatcmpl-")
    assert got.model == "gpt-4o-mini"
    choice = got.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "echo: second question"
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    assert got.usage is not None
    assert got.usage.prompt_tokens > 0
    assert got.usage.total_tokens == got.usage.prompt_tokens + got.usage.completion_tokens


def test_usage_numbers_land_in_the_sdk_usage_object(
    server: FakeLLMServer, oai: openai.OpenAI
) -> None:
    usage = Usage(input=1200, output=300, cached=1000, reasoning=120)
    server.reply(Answer(text="Paris.", usage=usage, model="gpt-4o-2024-08-06"))
    got = oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert got.model == "gpt-4o-2024-08-06"
    assert got.choices[0].message.content == "Paris."
    u = got.usage
    assert u is not None
    assert (u.prompt_tokens, u.completion_tokens, u.total_tokens) == (1200, 300, 1500)
    assert u.prompt_tokens_details is not None
    assert u.prompt_tokens_details.cached_tokens == 1000
    assert u.completion_tokens_details is not None
    assert u.completion_tokens_details.reasoning_tokens == 120


def test_parallel_tool_calls(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.reply(
        Answer(
            tool_calls=[
                ToolCall(name="get_weather", arguments={"city": "Paris", "unit": "C"}),
                ToolCall(name="get_time", arguments={"zone": "Europe/Paris"}, id="call_mine"),
            ]
        )
    )
    got = oai.chat.completions.create(model="gpt-4o", messages=USER)
    choice = got.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls is not None
    assert [c.type for c in calls] == ["function", "function"]
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert [json.loads(c.function.arguments) for c in calls] == [
        {"city": "Paris", "unit": "C"},
        {"zone": "Europe/Paris"},
    ]
    assert calls[0].id.startswith("call_") and len(calls[0].id) == 29
    assert calls[1].id == "call_mine"


def test_stream_chunks_arrive_as_scripted_then_usage(
    server: FakeLLMServer, oai: openai.OpenAI
) -> None:
    pieces = ["The ans", "wer is", " 42."]
    server.reply(Answer(text=pieces, usage=Usage(input=9, output=4)))
    stream = oai.chat.completions.create(
        model="gpt-4o",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    texts = [
        c.choices[0].delta.content for c in chunks[1:] if c.choices and c.choices[0].delta.content
    ]
    assert texts == pieces
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (9, 4)
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_include_usage_sends_no_usage_chunk(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "echo: What is the capital of France?"
    # A plain string streams word by word, whitespace kept with the word before it.
    assert [c.choices[0].delta.content for c in chunks[1:4]] == ["echo: ", "What ", "is "]


def test_stream_tool_call_arguments_arrive_in_fragments(
    server: FakeLLMServer, oai: openai.OpenAI
) -> None:
    calls = [
        ToolCall(name="search", arguments={"query": "capital of France"}, chunk_size=7),
        ToolCall(name="lookup", arguments='{"id": 7}', chunk_size=3),
    ]
    server.reply(Answer(tool_calls=calls))
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    fragments: dict[int, list[str]] = {0: [], 1: []}
    names: dict[int, str | None] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or []:
            assert delta.function is not None
            if delta.id is not None:
                names[delta.index] = delta.function.name
            elif delta.function.arguments:
                fragments[delta.index].append(delta.function.arguments)
    assert names == {0: "search", 1: "lookup"}
    assert fragments == {0: list(calls[0].fragments), 1: ['{"i', 'd":', " 7}"]}
    assert "".join(fragments[0]) == '{"query":"capital of France"}'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_stream_helper_builds_the_final_completion(
    server: FakeLLMServer, oai: openai.OpenAI
) -> None:
    server.reply(
        Answer(
            text=["Let me ", "check."],
            tool_calls=[
                ToolCall(name="get_weather", arguments={"city": "Paris"}, chunk_size=5),
                ToolCall(name="get_weather", arguments={"city": "Rome"}, chunk_size=5),
            ],
        )
    )
    with oai.chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        events = list(stream)
        final = stream.get_final_completion()
    deltas = [e.delta for e in events if e.type == "content.delta"]
    # The first chunk carries the role and empty content, as the real API's does.
    assert deltas == ["", "Let me ", "check."]
    done = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    assert [json.loads(e.arguments) for e in done] == [{"city": "Paris"}, {"city": "Rome"}]
    message = final.choices[0].message
    assert message.content == "Let me check."
    assert final.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls is not None
    assert [(c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("get_weather", '{"city":"Paris"}'),
        ("get_weather", '{"city":"Rome"}'),
    ]


def test_chunk_delay_spaces_the_chunks_out(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.reply(Answer(text=["a", "b", "c"], chunk_delay=0.2))
    arrivals = []
    for chunk in oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic())
    assert len(arrivals) == 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap >= 0.1 for gap in gaps), gaps


def test_async_client_plain_and_streaming(server: FakeLLMServer) -> None:
    server.reply(Answer(text="plain"), Answer(text=["str", "eamed"]))

    async def main() -> tuple[str | None, list[str]]:
        async with openai.AsyncOpenAI(
            base_url=server.openai_base_url, api_key="test", **STRICT
        ) as client:
            plain = await client.chat.completions.create(model="gpt-4o", messages=USER)
            stream = await client.chat.completions.create(
                model="gpt-4o",
                messages=USER,
                stream=True,
            )
            pieces = [
                c.choices[0].delta.content async for c in stream if c.choices[0].delta.content
            ]
            return plain.choices[0].message.content, pieces

    assert asyncio.run(main()) == ("plain", ["str", "eamed"])
    assert [r.stream for r in server.requests] == [False, True]
    assert server.requests[0].headers["x-stainless-async"].startswith("async:")
