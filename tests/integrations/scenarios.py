"""Client programs the tests record and replay, each runnable with a sync and an async client.

A scenario is the fake server's replies plus a list of calls. A call takes a
client and returns what the SDK returns; the same call works on the sync and
the async client (``await`` and ``async for`` are added by :func:`run_async`).
``url`` is the fake server's ``url`` (taken before the server stops, for
a replay). Results are turned into plain data (``model_dump()``), streams into the list
of their events, so two runs can be compared with ``==``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pydantic

from agentreel.testing import Answer, HTTPError, Reply, ToolCall, Usage

USER = [{"role": "user", "content": "What is the weather in Paris?"}]
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
CHAT_TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}},
    {"type": "function", "function": {"name": "get_time", "parameters": WEATHER}},
]
RESPONSES_TOOLS = [{"type": "function", "name": "get_weather", "parameters": WEATHER}]
CLAUDE_TOOLS = [{"name": "get_weather", "input_schema": WEATHER}]
# Strict validation: the clients check every response and streamed event.
OPTIONS: dict[str, Any] = {"_strict_response_validation": True, "timeout": 5.0}

Call = Callable[[Any], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    name: str
    vendor: str  # "openai" or "anthropic"
    replies: tuple[Reply, ...]
    calls: tuple[Call, ...]
    max_retries: int = 0
    #: How many HTTP requests (so steps) the calls make.
    requests: int = 1


def _chat_tool_turns(c: Any) -> Any:
    return c.chat.completions.create(model="gpt-test", messages=USER, tools=CHAT_TOOLS)


SCENARIOS = [
    Scenario(
        name="chat",
        vendor="openai",
        replies=(Answer(text="Sunny.", usage=Usage(input=1200, output=300, cached=1000)),),
        calls=(lambda c: c.chat.completions.create(model="gpt-test", messages=USER),),
    ),
    Scenario(
        name="chat-stream",
        vendor="openai",
        replies=(Answer(text=["Sun", "ny ", "in ", "Paris."], usage=Usage(input=40, output=4)),),
        calls=(
            lambda c: c.chat.completions.create(
                model="gpt-test",
                messages=USER,
                stream=True,
                stream_options={"include_usage": True},
            ),
        ),
    ),
    Scenario(
        name="chat-tools",
        vendor="openai",
        replies=(
            Answer(tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"})]),
            Answer(text="It is sunny in Paris."),
        ),
        calls=(
            _chat_tool_turns,
            lambda c: c.chat.completions.create(
                model="gpt-test",
                messages=[
                    *USER,
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": "{}"},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
                ],
                tools=CHAT_TOOLS,
            ),
        ),
        requests=2,
    ),
    Scenario(
        name="chat-parallel-tools-stream",
        vendor="openai",
        replies=(
            Answer(
                tool_calls=[
                    ToolCall(name="get_weather", arguments={"city": "Paris"}, chunk_size=5),
                    ToolCall(name="get_time", arguments={"city": "Lyon"}, chunk_size=5),
                ]
            ),
        ),
        calls=(
            lambda c: c.chat.completions.create(
                model="gpt-test", messages=USER, tools=CHAT_TOOLS, stream=True
            ),
        ),
    ),
    Scenario(
        name="responses",
        vendor="openai",
        replies=(Answer(text="Sunny.", usage=Usage(input=50, output=10, reasoning=4)),),
        calls=(lambda c: c.responses.create(model="gpt-test", input="Weather in Paris?"),),
    ),
    Scenario(
        name="responses-stream",
        vendor="openai",
        replies=(
            Answer(
                text=["Let me ", "check."],
                tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"})],
                usage=Usage(input=60, output=20, cached=30),
            ),
        ),
        calls=(
            lambda c: c.responses.create(
                model="gpt-test", input="Weather in Paris?", tools=RESPONSES_TOOLS, stream=True
            ),
        ),
    ),
    Scenario(
        name="anthropic",
        vendor="anthropic",
        replies=(Answer(text="Sunny.", usage=Usage(input=100, output=20, cached=60)),),
        calls=(lambda c: c.messages.create(model="claude-test", max_tokens=100, messages=USER),),
    ),
    Scenario(
        name="anthropic-stream",
        vendor="anthropic",
        replies=(Answer(text=["Sun", "ny."], usage=Usage(input=30, output=7)),),
        calls=(
            lambda c: c.messages.create(
                model="claude-test", max_tokens=100, messages=USER, stream=True
            ),
        ),
    ),
    Scenario(
        name="anthropic-tool-use",
        vendor="anthropic",
        replies=(
            Answer(
                text="Checking.",
                tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"})],
            ),
            Answer(
                tool_calls=[ToolCall(name="get_weather", arguments={"city": "Lyon"})],
            ),
        ),
        calls=(
            lambda c: c.messages.create(
                model="claude-test", max_tokens=100, messages=USER, tools=CLAUDE_TOOLS
            ),
            lambda c: c.messages.create(
                model="claude-test",
                max_tokens=100,
                messages=USER,
                tools=CLAUDE_TOOLS,
                stream=True,
            ),
        ),
        requests=2,
    ),
    Scenario(
        name="openai-429-retry",
        vendor="openai",
        replies=(HTTPError(status=429, retry_after=0.05), Answer(text="Sunny.")),
        calls=(lambda c: c.chat.completions.create(model="gpt-test", messages=USER),),
        max_retries=1,
        requests=2,
    ),
    Scenario(
        name="anthropic-529-retry",
        vendor="anthropic",
        replies=(HTTPError(status=529, retry_after=0.05), Answer(text=["Sun", "ny."])),
        calls=(
            lambda c: c.messages.create(
                model="claude-test", max_tokens=100, messages=USER, stream=True
            ),
        ),
        max_retries=1,
        requests=2,
    ),
]


def dump(result: Any) -> Any:
    if isinstance(result, pydantic.BaseModel):
        return result.model_dump()
    return [event.model_dump() for event in result]


def client(scenario: Scenario, url: str) -> Any:
    if scenario.vendor == "openai":
        return openai.OpenAI(
            base_url=url + "/v1",
            api_key="plain-key-1",
            max_retries=scenario.max_retries,
            **OPTIONS,
        )
    return anthropic.Anthropic(
        base_url=url,
        api_key="plain-key-1",
        max_retries=scenario.max_retries,
        **OPTIONS,
    )


def async_client(scenario: Scenario, url: str) -> Any:
    if scenario.vendor == "openai":
        return openai.AsyncOpenAI(
            base_url=url + "/v1",
            api_key="plain-key-1",
            max_retries=scenario.max_retries,
            **OPTIONS,
        )
    return anthropic.AsyncAnthropic(
        base_url=url,
        api_key="plain-key-1",
        max_retries=scenario.max_retries,
        **OPTIONS,
    )


def run_sync(scenario: Scenario, url: str) -> list[Any]:
    with client(scenario, url) as c:
        return [dump(call(c)) for call in scenario.calls]


async def _run_async(scenario: Scenario, url: str) -> list[Any]:
    out: list[Any] = []
    async with async_client(scenario, url) as c:
        for call in scenario.calls:
            result = await call(c)
            if isinstance(result, pydantic.BaseModel):
                out.append(result.model_dump())
            else:
                out.append([event.model_dump() async for event in result])
    return out


def run_async(scenario: Scenario, url: str) -> list[Any]:
    return asyncio.run(_run_async(scenario, url))


def run(scenario: Scenario, url: str, mode: str) -> list[Any]:
    return run_sync(scenario, url) if mode == "sync" else run_async(scenario, url)


def names(scenarios: Sequence[Scenario]) -> list[str]:
    return [s.name for s in scenarios]
