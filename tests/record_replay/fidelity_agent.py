"""Agent programs for the fidelity suite, one per scenario, run as real child processes.

``python fidelity_agent.py SCENARIO`` runs one of them against the fake server
whose OpenAI base URL is in ``AGENT_BASE_URL``. Each prints everything it
observed (answers, tool results, branches taken) so that a replay can be
compared with its recording line by line.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import anthropic
import openai

import agentreel


def _openai_url() -> str:
    return os.environ["AGENT_BASE_URL"]


def _anthropic_url() -> str:
    # The Anthropic client adds /v1 itself; the fake server serves both at one root.
    return _openai_url().removesuffix("/v1")


@agentreel.tool
def lookup(city: str) -> dict[str, object]:
    return {"city": city, "celsius": 18}


@agentreel.tool
def divide(a: int, b: int) -> float:
    return a / b


def anthropic_tool_use() -> None:
    tools: list[anthropic.types.ToolParam] = [
        {
            "name": "lookup",
            "description": "weather of a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": "weather?"}]
    with anthropic.Anthropic(
        base_url=_anthropic_url(), api_key="test", max_retries=0, timeout=10
    ) as client:
        first = client.messages.create(
            model="claude-fidelity", max_tokens=100, messages=messages, tools=tools
        )
        print("stop:", first.stop_reason)
        use = next(block for block in first.content if block.type == "tool_use")
        print("tool_use:", use.id, use.name, use.input)
        result = lookup(city=str(use.input["city"]))
        print("tool result:", result)
        messages.append({"role": "assistant", "content": first.content})
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": str(result)}],
            }
        )
        second = client.messages.create(
            model="claude-fidelity", max_tokens=100, messages=messages, tools=tools
        )
        print("final:", [block.text for block in second.content if block.type == "text"])
        print("usage:", second.usage.input_tokens, second.usage.output_tokens)


def openai_stream() -> None:
    with openai.OpenAI(base_url=_openai_url(), api_key="test", max_retries=0, timeout=10) as client:
        stream = client.chat.completions.create(
            model="gpt-fidelity",
            messages=[{"role": "user", "content": "tell me"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        pieces: list[str] = []
        count = 0
        usage = None
        for chunk in stream:
            count += 1
            for choice in chunk.choices:
                pieces.append(choice.delta.content or "")
            if chunk.usage is not None:
                usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        print("chunks:", count)
        print("pieces:", pieces)
        print("text:", "".join(pieces))
        print("usage:", usage)


async def _gather() -> None:
    async with openai.AsyncOpenAI(
        base_url=_openai_url(), api_key="test", max_retries=0, timeout=10
    ) as client:

        async def ask(question: str) -> str:
            reply = await client.chat.completions.create(
                model="gpt-fidelity", messages=[{"role": "user", "content": question}]
            )
            return f"{question} -> {reply.choices[0].message.content}"

        answers = await asyncio.gather(ask("one"), ask("two"), ask("three"))
    for answer in answers:
        print(answer)


def async_gather() -> None:
    asyncio.run(_gather())


def thread_pool() -> None:
    """Three calls from a thread pool, finishing in whatever order the threads run."""
    with openai.OpenAI(base_url=_openai_url(), api_key="test", max_retries=0, timeout=10) as client:

        @agentreel.agent
        def worker(topic: str) -> str:
            reply = client.chat.completions.create(
                model="gpt-fidelity", messages=[{"role": "user", "content": topic}]
            )
            return f"{topic} -> {reply.choices[0].message.content}"

        with agentreel.ContextThreadPoolExecutor(max_workers=3) as pool:
            answers = list(pool.map(worker, ["red", "green", "blue"]))
    for answer in answers:
        print(answer)


def hand_off() -> None:
    """A planner agent hands its plan to a worker agent, which uses a tool and the model."""
    with openai.OpenAI(base_url=_openai_url(), api_key="test", max_retries=0, timeout=10) as client:

        def ask(prompt: str) -> str:
            reply = client.chat.completions.create(
                model="gpt-fidelity", messages=[{"role": "user", "content": prompt}]
            )
            return str(reply.choices[0].message.content)

        @agentreel.agent
        def planner(goal: str) -> str:
            return ask(f"plan: {goal}")

        @agentreel.agent
        def executor(plan: str) -> str:
            weather = lookup(city="Oslo")
            return ask(f"do {plan} given {weather['celsius']} degrees")

        plan = planner("a walk")
        print("plan:", plan)
        print("result:", executor(plan))


def retry_after_429() -> None:
    started = time.monotonic()
    with openai.OpenAI(base_url=_openai_url(), api_key="test", max_retries=1, timeout=10) as client:
        reply = client.chat.completions.create(
            model="gpt-fidelity", messages=[{"role": "user", "content": "busy?"}]
        )
    print("answer:", reply.choices[0].message.content)
    # Kept out of the output compared, which must stay deterministic.
    with Path(os.environ["FIDELITY_TIMING"]).open("a") as timing:
        timing.write(f"{time.monotonic() - started:.3f}\n")


def tool_raises() -> None:
    for b in (2, 0):
        try:
            print("divide:", divide(a=6, b=b))
        except ZeroDivisionError as error:
            print("caught:", type(error).__name__, error)
    with openai.OpenAI(base_url=_openai_url(), api_key="test", max_retries=0, timeout=10) as client:
        reply = client.chat.completions.create(
            model="gpt-fidelity", messages=[{"role": "user", "content": "the tool failed"}]
        )
    print("model:", reply.choices[0].message.content)


def nondeterminism() -> None:
    stamp = agentreel.now()
    draw = agentreel.random()
    ident = agentreel.uuid4()
    # The printed values differ between two live runs; a replay must print the recorded ones.
    print("now:", repr(stamp))
    print("random:", repr(draw))
    print("uuid:", ident)
    branch = "heads" if draw < 0.5 else "tails"
    print("branch:", branch)
    with openai.OpenAI(base_url=_openai_url(), api_key="test", max_retries=0, timeout=10) as client:
        reply = client.chat.completions.create(
            model="gpt-fidelity",
            messages=[{"role": "user", "content": f"{branch} {ident.hex[:8]}"}],
        )
    print("model:", reply.choices[0].message.content)


SCENARIOS: dict[str, Callable[[], None]] = {
    "anthropic-tool-use": anthropic_tool_use,
    "openai-stream": openai_stream,
    "async-gather": async_gather,
    "thread-pool": thread_pool,
    "hand-off": hand_off,
    "retry-after-429": retry_after_429,
    "tool-raises": tool_raises,
    "nondeterminism": nondeterminism,
}


if __name__ == "__main__":
    SCENARIOS[sys.argv[1]]()
