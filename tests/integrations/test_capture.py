"""Recording the real openai and anthropic clients through the instrumented httpx transports."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import openai
import pytest

import agentreel
from agentreel.model import Status, TokenUsage
from agentreel.testing import Answer, FakeLLMServer, HTTPError, Usage

from .conftest import PRICES, Reel
from .scenarios import OPTIONS, SCENARIOS, USER, Scenario, names, run

pytestmark = pytest.mark.usefixtures("instrumented")

STEP_NAMES = {
    "/v1/chat/completions": "openai.chat.completions",
    "/v1/responses": "openai.responses",
    "/v1/messages": "anthropic.messages",
}
#: The usage each scenario's replies report, as agentreel counts it.
EXPECTED_USAGE = {
    "chat": TokenUsage(input=1200, output=300, cached=1000),
    "chat-stream": TokenUsage(input=40, output=4),
    "responses": TokenUsage(input=50, output=10, reasoning=4),
    "responses-stream": TokenUsage(input=60, output=20, cached=30),
    "anthropic": TokenUsage(input=100, output=20, cached=60),
    "anthropic-stream": TokenUsage(input=30, output=7),
}


def _cost(model: str, usage: TokenUsage) -> float:
    price = PRICES[model]
    return (
        (usage.input - usage.cached) * price["input"]
        + usage.cached * price["cached_input"]
        + usage.output * price["output"]
    ) / 1_000_000


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=names(SCENARIOS))
def test_every_call_is_an_llm_step(
    scenario: Scenario, mode: str, server: FakeLLMServer, reel: Reel
) -> None:
    server.reply(*scenario.replies)
    with agentreel.session("capture") as session:
        run(scenario, server.url, mode)
    steps = reel.steps(session.id)
    received = server.requests
    assert len(received) == scenario.requests
    assert len(steps) == scenario.requests
    for got, request in zip(steps, received, strict=True):
        assert got.step.kind == "llm"
        assert got.step.status is Status.OK
        assert got.step.name == STEP_NAMES[request.path]
        assert got.input["method"] == "POST"
        assert got.input["host"] == "127.0.0.1"
        assert got.input["url"] == request.path
        assert got.input["body"] == request.body
        assert set(got.input["headers"]) <= {"accept", "content-type", "anthropic-version"}
        if request.endpoint == "messages":
            assert got.input["headers"]["anthropic-version"] == request.headers["anthropic-version"]
        streamed = request.stream and got.output["status"] == 200
        assert ("chunks" in got.output) is streamed
        assert ("body" in got.output) is not streamed
        assert got.step.model == request.body["model"]
    expected = [r.status if isinstance(r, HTTPError) else 200 for r in scenario.replies]
    assert [s.output["status"] for s in steps] == expected


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("name", sorted(EXPECTED_USAGE))
def test_model_usage_and_cost(name: str, mode: str, server: FakeLLMServer, reel: Reel) -> None:
    (scenario,) = [s for s in SCENARIOS if s.name == name]
    server.reply(*scenario.replies)
    with agentreel.session("usage") as session:
        run(scenario, server.url, mode)
    (got,) = reel.steps(session.id)
    expected = EXPECTED_USAGE[name]
    assert got.step.usage == expected
    assert got.step.model in PRICES
    assert got.step.cost == pytest.approx(_cost(got.step.model, expected))
    summary = reel.store.summarize(session.id)
    assert summary.usage == expected


def test_the_model_that_answered_is_the_steps_model(server: FakeLLMServer, reel: Reel) -> None:
    server.reply(Answer(text="Hi.", model="gpt-4o-2024-08-06", usage=Usage(input=10, output=2)))
    with agentreel.session("model") as session:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **OPTIONS) as client:
            client.chat.completions.create(model="gpt-4o", messages=USER)
    (got,) = reel.steps(session.id)
    assert got.input["body"]["model"] == "gpt-4o"
    assert got.step.model == "gpt-4o-2024-08-06"
    assert got.step.cost is not None and got.step.cost > 0


def test_the_program_reads_exactly_what_is_recorded(server: FakeLLMServer, reel: Reel) -> None:
    server.reply(
        Answer(text="Plain answer."),
        Answer(text=["One ", "two ", "three ", "four."], chunk_delay=0.03),
    )
    with agentreel.session("exact") as session:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **OPTIONS) as client:
            raw = client.chat.completions.with_raw_response.create(model="gpt-test", messages=USER)
            body = raw.http_response.text
            with client.chat.completions.with_streaming_response.create(
                model="gpt-test", messages=USER, stream=True
            ) as streamed:
                pieces = [piece.decode() for piece in streamed.iter_bytes()]
    plain, stream = reel.steps(session.id)
    assert plain.output["body"] == body
    assert json.loads(body)["choices"][0]["message"]["content"] == "Plain answer."
    assert [text for _, text in stream.output["chunks"]] == pieces
    assert len(pieces) > 4
    times = [ms for ms, _ in stream.output["chunks"]]
    assert times == sorted(times) and times[0] >= 0
    # Times are when the program got each chunk, which is no earlier than the
    # server sent it: three 30 ms gaps after the request began, for the last.
    last = next(ms for ms, text in stream.output["chunks"] if '"four."' in text)
    assert last >= 85


def test_a_retried_429_is_two_steps_with_the_same_request(
    server: FakeLLMServer, reel: Reel
) -> None:
    server.reply(HTTPError(status=429, retry_after=0.05), Answer(text="Sunny."))
    with agentreel.session("retry") as session:
        with openai.OpenAI(
            base_url=server.openai_base_url, api_key="k", max_retries=2, **OPTIONS
        ) as client:
            got = client.chat.completions.create(model="gpt-test", messages=USER)
    assert got.choices[0].message.content == "Sunny."
    refused, answered = reel.steps(session.id)
    assert refused.output["status"] == 429
    assert refused.output["headers"]["retry-after"] == "0.05"
    assert json.loads(refused.output["body"])["error"]["code"] == "rate_limit_exceeded"
    assert refused.step.status is Status.OK
    assert answered.output["status"] == 200
    # The retry counter header differs between the two requests; the inputs do not.
    sent = [r.headers["x-stainless-retry-count"] for r in server.requests]
    assert sent == ["0", "1"]
    assert refused.input == answered.input


def test_an_error_status_the_sdk_raises_on_is_recorded(server: FakeLLMServer, reel: Reel) -> None:
    server.reply(HTTPError(status=400, message="messages must not be empty"))
    with agentreel.session("bad request") as session:
        with anthropic.Anthropic(
            base_url=server.anthropic_base_url, api_key="k", max_retries=0, **OPTIONS
        ) as client:
            with pytest.raises(anthropic.BadRequestError, match="must not be empty"):
                client.messages.create(model="claude-test", max_tokens=10, messages=USER)
    (got,) = reel.steps(session.id)
    assert got.output["status"] == 400
    assert "must not be empty" in got.output["body"]
    assert got.step.usage == TokenUsage()


def test_a_connection_error_is_a_failed_step_and_reaches_the_sdk(reel: Reel) -> None:
    with FakeLLMServer() as gone:
        url = gone.openai_base_url
    import httpx2

    with agentreel.session("refused") as session:
        with openai.OpenAI(base_url=url, api_key="k", max_retries=0, **OPTIONS) as client:
            with pytest.raises(openai.APIConnectionError) as caught:
                client.chat.completions.create(model="gpt-test", messages=USER)
    cause = caught.value.__cause__
    assert isinstance(cause, httpx2.ConnectError)
    (got,) = reel.steps(session.id)
    assert got.step.status is Status.ERROR
    assert got.step.error is not None
    assert got.step.error.type == "httpx2.ConnectError"
    assert got.step.error.message == str(cause)
    assert got.output is None


def test_steps_nest_under_the_callers_step_but_never_hold_the_stream_readers_steps(
    server: FakeLLMServer, reel: Reel
) -> None:
    server.reply(Answer(text=["a ", "b ", "c"]))

    @agentreel.tool
    def on_chunk(text: str) -> str:
        return text

    with agentreel.session("nesting") as session:
        with agentreel.step("agent", "writer"):
            with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **OPTIONS) as c:
                for chunk in c.chat.completions.create(
                    model="gpt-test", messages=USER, stream=True
                ):
                    if chunk.choices and chunk.choices[0].delta.content:
                        on_chunk(chunk.choices[0].delta.content)
    steps = {s.step.number: s.step for s in reel.steps(session.id)}
    assert [(n, s.kind, s.name) for n, s in sorted(steps.items())] == [
        (1, "agent", "writer"),
        (2, "llm", "openai.chat.completions"),
        (3, "tool", "on_chunk"),
        (4, "tool", "on_chunk"),
        (5, "tool", "on_chunk"),
    ]
    assert {n: s.parent_number for n, s in steps.items()} == {1: None, 2: 1, 3: 1, 4: 1, 5: 1}
    # The stream's step ended after the chunks the program handled while reading it.
    assert steps[2].ended_at is not None and steps[5].ended_at is not None
    assert steps[2].ended_at >= steps[5].started_at


def test_concurrent_async_calls_are_separate_steps(server: FakeLLMServer, reel: Reel) -> None:
    async def main() -> list[str]:
        async with openai.AsyncOpenAI(
            base_url=server.openai_base_url, api_key="k", **OPTIONS
        ) as client:

            async def ask(text: str) -> str:
                messages = [{"role": "user", "content": text}]
                got = await client.chat.completions.create(model="gpt-test", messages=messages)
                return str(got.choices[0].message.content)

            return list(await asyncio.gather(*(ask(f"question {i}") for i in range(5))))

    with agentreel.session("gather") as session:
        answers = asyncio.run(main())
    assert answers == [f"echo: question {i}" for i in range(5)]
    steps = reel.steps(session.id)
    assert len(steps) == 5
    by_question = {s.input["body"]["messages"][0]["content"]: s.output for s in steps}
    for i in range(5):
        body = json.loads(by_question[f"question {i}"]["body"])
        assert body["choices"][0]["message"]["content"] == f"echo: question {i}"


def test_credentials_never_reach_the_database(server: FakeLLMServer, reel: Reel) -> None:
    server.reply(Answer(text="one"), Answer(text=["two"]), Answer(text="three"))
    with agentreel.session("secrets"):
        with openai.OpenAI(
            base_url=server.openai_base_url,
            api_key="plain-key-1",
            default_headers={"X-Custom-Token": "plain-key-2", "X-Tenant": "acme"},
            **OPTIONS,
        ) as client:
            client.chat.completions.create(model="gpt-test", messages=USER)
            list(client.chat.completions.create(model="gpt-test", messages=USER, stream=True))
        with anthropic.Anthropic(
            base_url=server.anthropic_base_url, api_key="plain-key-3", **OPTIONS
        ) as claude:
            claude.messages.create(model="claude-test", max_tokens=10, messages=USER)
    assert all("authorization" in r.headers for r in server.requests)
    agentreel.shutdown()
    reel.store.close()
    stored = b"".join(p.read_bytes() for p in sorted(reel.path.parent.glob("reel.db*")))
    # The scan sees what was stored (payloads are not compressed) ...
    assert b"What is the weather in Paris?" in stored
    assert b"anthropic-version" in stored
    assert b"x-tenant" in stored
    # ... and no credential, masked or not, nor the client fingerprint headers.
    for needle in (
        b"plain-key-1",
        b"plain-key-2",
        b"plain-key-3",
        b"authorization",
        b"x-custom-token",
        b"x-stainless",
        b"Bearer",
    ):
        assert needle not in stored, needle


def test_other_httpx_traffic_passes_untouched(server: FakeLLMServer, reel: Reel) -> None:
    import httpx2

    payload: dict[str, Any] = {"model": "gpt-test", "messages": USER}
    with agentreel.session("plain httpx") as session:
        with httpx2.Client() as http:
            got = http.post(
                server.openai_base_url + "/chat/completions",
                json=payload,
                headers={"authorization": "Bearer plain-key-1", "user-agent": "OpenAI/Python"},
            )
    assert got.status_code == 200
    assert got.json()["choices"][0]["message"]["content"].startswith("echo:")
    (request,) = server.requests
    assert request.headers["authorization"] == "Bearer plain-key-1"
    assert request.body == payload
    assert reel.steps(session.id) == []


def test_nothing_is_recorded_while_agentreel_is_off(server: FakeLLMServer) -> None:
    server.reply(Answer(text=["off ", "the ", "record"]))
    with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **OPTIONS) as client:
        pieces = [
            c.choices[0].delta.content
            for c in client.chat.completions.create(model="gpt-test", messages=USER, stream=True)
            if c.choices and c.choices[0].delta.content
        ]
    assert "".join(pieces) == "off the record"
    assert len(server.requests) == 1
