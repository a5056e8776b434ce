"""The official anthropic client's Messages API against FakeLLMServer."""

from __future__ import annotations

import asyncio

import anthropic

from agentreel.testing import Answer, FakeLLMServer, ToolCall, Usage

from .conftest import STRICT

USER = [{"role": "user", "content": "What is the capital of France?"}]
# A made-up name: the client warns about real models it knows are deprecated.
MODEL = "claude-fake-1"


def test_default_answer_echoes_the_last_user_message(claude: anthropic.Anthropic) -> None:
    got = claude.messages.create(
        model=MODEL,
        max_tokens=100,
        system="Be brief.",
        messages=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
        ],
    )
    assert got.type == "message"
    assert got.role == "assistant"
    assert got.id.startswith("msg_01") and len(got.id) == 28
    assert got.model == MODEL
    assert [(b.type, b.text) for b in got.content] == [("text", "echo: second")]
    assert got.stop_reason == "end_turn"
    assert got.stop_sequence is None
    assert got.usage.input_tokens > 0 and got.usage.output_tokens > 0


def test_usage_splits_cache_reads_out_of_input(
    server: FakeLLMServer, claude: anthropic.Anthropic
) -> None:
    server.reply(Answer(text="Paris.", usage=Usage(input=100, output=20, cached=60, reasoning=5)))
    got = claude.messages.create(model=MODEL, max_tokens=100, messages=USER)
    u = got.usage
    assert (u.input_tokens, u.cache_read_input_tokens, u.output_tokens) == (40, 60, 20)
    assert u.cache_creation_input_tokens == 0
    assert u.output_tokens_details is not None
    assert u.output_tokens_details.thinking_tokens == 5


def test_text_and_parallel_tool_use(server: FakeLLMServer, claude: anthropic.Anthropic) -> None:
    server.reply(
        Answer(
            text="Let me look both up.",
            tool_calls=[
                ToolCall(name="get_weather", arguments={"city": "Paris"}),
                ToolCall(name="get_time", arguments='{"zone": "CET"}', id="toolu_mine"),
            ],
        )
    )
    got = claude.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert got.stop_reason == "tool_use"
    assert [b.type for b in got.content] == ["text", "tool_use", "tool_use"]
    uses = [b for b in got.content if b.type == "tool_use"]
    assert [(b.name, b.input) for b in uses] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {"zone": "CET"}),
    ]
    assert uses[0].id.startswith("toolu_01") and uses[1].id == "toolu_mine"


def test_raw_stream_events(server: FakeLLMServer, claude: anthropic.Anthropic) -> None:
    server.reply(
        Answer(
            text=["Hel", "lo"],
            tool_calls=[ToolCall(name="search", arguments={"q": "tides"}, chunk_size=4)],
            usage=Usage(input=30, output=12, cached=10),
        )
    )
    events = list(claude.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True))
    # The server also sends a ping after message_start; the client skips pings.
    assert [e.type for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0]
    assert start.message.content == [] and start.message.stop_reason is None
    assert start.message.usage.input_tokens == 20
    deltas = [e.delta for e in events if e.type == "content_block_delta"]
    assert [d.text for d in deltas if d.type == "text_delta"] == ["Hel", "lo"]
    partial = [d.partial_json for d in deltas if d.type == "input_json_delta"]
    assert partial == ['{"q"', ':"ti', 'des"', "}"]
    tool_start = events[5]
    assert tool_start.content_block.type == "tool_use"
    assert tool_start.content_block.input == {}
    message_delta = events[-2]
    assert message_delta.delta.stop_reason == "tool_use"
    assert message_delta.usage.output_tokens == 12
    assert [e.index for e in events if e.type == "content_block_stop"] == [0, 1]


def test_stream_helper_builds_the_final_message(
    server: FakeLLMServer, claude: anthropic.Anthropic
) -> None:
    server.reply(
        Answer(
            text=["The capital ", "is ", "Paris."],
            tool_calls=[ToolCall(name="cite", arguments={"source": "atlas", "page": 12})],
            usage=Usage(input=25, output=9, cached=5),
        )
    )
    with claude.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert pieces == ["The capital ", "is ", "Paris."]
    assert final.content[0].text == "The capital is Paris."
    assert final.content[1].input == {"source": "atlas", "page": 12}
    assert final.stop_reason == "tool_use"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (20, 9)
    assert final.usage.cache_read_input_tokens == 5


def test_async_client_plain_and_stream_helper(server: FakeLLMServer) -> None:
    server.reply(Answer(text="plain"), Answer(text=["stre", "amed"]))

    async def main() -> tuple[str, list[str], str]:
        async with anthropic.AsyncAnthropic(
            base_url=server.anthropic_base_url, api_key="test", **STRICT
        ) as client:
            plain = await client.messages.create(model=MODEL, max_tokens=50, messages=USER)
            async with client.messages.stream(
                model=MODEL,
                max_tokens=50,
                messages=USER,
            ) as stream:
                pieces = [text async for text in stream.text_stream]
                final = await stream.get_final_message()
        return plain.content[0].text, pieces, final.content[0].text

    assert asyncio.run(main()) == ("plain", ["stre", "amed"], "streamed")
    assert [r.endpoint for r in server.requests] == ["messages", "messages"]
