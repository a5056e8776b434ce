"""Replaying captured calls through the interception seam, without the replay engine.

A tiny interceptor stands in for the engine: it answers every ``llm`` step
with the output recorded in an earlier run, in order. The fake server is
stopped before the replay, so a request that reached the network would fail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from typing import Any

import anthropic
import httpx2
import openai
import pytest

import agentreel
from agentreel.errors import AgentreelError
from agentreel.integrations import ResponseRecordError, instrument
from agentreel.model import Status
from agentreel.recording import Answer, StepHandle
from agentreel.recording._recorder import STATE
from agentreel.testing import Answer as Reply
from agentreel.testing import FakeLLMServer

from .conftest import Recorded, Reel
from .scenarios import OPTIONS, SCENARIOS, USER, Scenario, names, run

pytestmark = pytest.mark.usefixtures("instrumented")


class FromRecording:
    """Answers each llm step with the next recorded llm step's output (or error)."""

    def __init__(
        self, recorded: list[Recorded], *, exceptions: Sequence[BaseException] = ()
    ) -> None:
        self.queue = [r for r in recorded if r.step.kind == "llm"]
        self.exceptions = list(exceptions)
        self.inputs: list[tuple[Any, Any]] = []

    def step_started(self, step: StepHandle) -> Answer | None:
        if step.kind != "llm":
            return None
        recorded = self.queue.pop(0)
        self.inputs.append((step.input, recorded.input))
        if recorded.step.error is not None:
            return Answer(exception=self.exceptions.pop(0))
        return Answer(output=recorded.output)

    def step_finished(self, step: StepHandle) -> None:
        pass


class Raising:
    def step_started(self, step: StepHandle) -> Answer | None:
        raise AgentreelError("this call is not in the recording")

    def step_finished(self, step: StepHandle) -> None:
        pass


@pytest.fixture
def intercept() -> Iterator[Any]:
    def install(interceptor: Any) -> None:
        assert STATE.recorder is not None
        STATE.recorder.interceptor = interceptor

    yield install
    if STATE.recorder is not None:
        STATE.recorder.interceptor = None


def _record(scenario: Scenario, server: FakeLLMServer, reel: Reel, mode: str) -> Any:
    server.reply(*scenario.replies)
    with agentreel.session("recorded") as session:
        results = run(scenario, server.url, mode)
    return results, reel.steps(session.id)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=names(SCENARIOS))
def test_replayed_sdk_objects_equal_the_recorded_ones(
    scenario: Scenario, mode: str, server: FakeLLMServer, reel: Reel, intercept: Any
) -> None:
    url = server.url
    recorded_results, recorded = _record(scenario, server, reel, mode)
    server.stop()
    seen = len(server.requests)
    replayer = FromRecording(recorded)
    intercept(replayer)
    with agentreel.session("replayed") as session:
        replayed_results = run(scenario, url, mode)
    assert replayed_results == recorded_results
    assert len(server.requests) == seen == scenario.requests
    assert replayer.queue == []
    # The normalised request is the same in both runs: what replay matching needs.
    assert all(live == stored for live, stored in replayer.inputs)
    replayed = reel.steps(session.id)
    assert [r.output for r in replayed] == [r.output for r in recorded]
    assert [r.step.usage for r in replayed] == [r.step.usage for r in recorded]
    assert [r.step.model for r in replayed] == [r.step.model for r in recorded]
    assert all(r.step.attributes["agentreel.answered_by"] == "replay" for r in replayed)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_streams_replay_chunk_by_chunk(
    mode: str, server: FakeLLMServer, reel: Reel, intercept: Any
) -> None:
    server.reply(Reply(text=["Alpha ", "beta ", "gamma ", "delta."], chunk_delay=0.01))
    url = server.url

    def read_sync() -> list[bytes]:
        with anthropic.Anthropic(base_url=url, api_key="k", **OPTIONS) as c:
            with c.messages.with_streaming_response.create(
                model="claude-test", max_tokens=50, messages=USER, stream=True
            ) as response:
                return list(response.iter_bytes())

    async def read_async() -> list[bytes]:
        async with anthropic.AsyncAnthropic(base_url=url, api_key="k", **OPTIONS) as c:
            async with c.messages.with_streaming_response.create(
                model="claude-test", max_tokens=50, messages=USER, stream=True
            ) as response:
                return [piece async for piece in response.iter_bytes()]

    def read() -> list[bytes]:
        return read_sync() if mode == "sync" else asyncio.run(read_async())

    with agentreel.session("recorded") as session:
        live = read()
    recorded = reel.steps(session.id)
    assert [text.encode() for _, text in recorded[0].output["chunks"]] == live
    assert len(live) > 5
    server.stop()
    intercept(FromRecording(recorded))
    assert read() == live


def _stream_texts(url: str) -> list[str]:
    with openai.OpenAI(base_url=url + "/v1", api_key="k", **OPTIONS) as client:
        return [
            chunk.choices[0].delta.content or ""
            for chunk in client.chat.completions.create(
                model="gpt-test", messages=USER, stream=True
            )
            if chunk.choices
        ]


def test_recorded_timing_is_kept_only_when_asked(
    server: FakeLLMServer, reel: Reel, intercept: Any
) -> None:
    server.reply(Reply(text=["slow ", "and ", "steady"], chunk_delay=0.05))
    url = server.url
    with agentreel.session("recorded") as session:
        texts = _stream_texts(url)
    recorded = reel.steps(session.id)
    last_ms = recorded[0].output["chunks"][-1][0]
    assert last_ms >= 95
    server.stop()

    intercept(FromRecording(recorded))
    began = time.perf_counter()
    assert _stream_texts(url) == texts
    fast = time.perf_counter() - began

    instrument(keep_timing=True)
    intercept(FromRecording(recorded))
    began = time.perf_counter()
    assert _stream_texts(url) == texts
    paced = time.perf_counter() - began
    assert paced >= last_ms / 1000 * 0.95
    assert fast < paced


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_recorded_connection_error_is_raised_again(mode: str, reel: Reel, intercept: Any) -> None:
    with FakeLLMServer() as gone:
        url = gone.url  # nothing listens there any more
    scenario = Scenario(name="refused", vendor="openai", replies=(), calls=SCENARIOS[0].calls)
    with agentreel.session("recorded") as session:
        with pytest.raises(openai.APIConnectionError):
            run(scenario, url, mode)
    recorded = reel.steps(session.id)
    assert recorded[0].step.error is not None
    served = httpx2.ConnectError("served from the recording")
    intercept(FromRecording(recorded, exceptions=[served]))
    with agentreel.session("replayed") as session:
        with pytest.raises(openai.APIConnectionError) as caught:
            run(scenario, url, mode)
    assert caught.value.__cause__ is served
    (replayed,) = reel.steps(session.id)
    assert replayed.step.status is Status.ERROR
    assert replayed.step.error is not None
    assert replayed.step.error.message == "served from the recording"


def test_an_answer_that_is_not_a_response_record_stops_the_call(
    server: FakeLLMServer, reel: Reel, intercept: Any
) -> None:
    class Bad:
        def step_started(self, step: StepHandle) -> Answer | None:
            return Answer(output={"status": 200, "chunks": "not a list"})

        def step_finished(self, step: StepHandle) -> None:
            pass

    intercept(Bad())
    with agentreel.session("bad") as session:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **OPTIONS) as client:
            with pytest.raises(ResponseRecordError, match="'chunks' must be a list"):
                client.chat.completions.create(model="gpt-test", messages=USER)
    assert server.requests == []
    (got,) = reel.steps(session.id)
    assert got.step.error is not None
    assert got.step.error.type == "agentreel.integrations._record.ResponseRecordError"


def test_an_interceptor_stopping_the_call_keeps_it_off_the_network(
    server: FakeLLMServer, reel: Reel, intercept: Any
) -> None:
    intercept(Raising())
    with agentreel.session("strict") as session:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **OPTIONS) as client:
            with pytest.raises(AgentreelError, match="not in the recording"):
                client.chat.completions.create(model="gpt-test", messages=USER)
    assert server.requests == []
    (got,) = reel.steps(session.id)
    assert got.step.status is Status.ERROR


def test_without_an_answer_the_call_goes_live_and_is_recorded(
    server: FakeLLMServer, reel: Reel, intercept: Any
) -> None:
    class Never:
        def step_started(self, step: StepHandle) -> Answer | None:
            return None

        def step_finished(self, step: StepHandle) -> None:
            pass

    intercept(Never())
    server.reply(Reply(text="live"))
    with agentreel.session("new steps") as session:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **OPTIONS) as client:
            got = client.chat.completions.create(model="gpt-test", messages=USER)
    assert got.choices[0].message.content == "live"
    assert len(server.requests) == 1
    (step,) = reel.steps(session.id)
    assert step.output["status"] == 200
    assert "agentreel.answered_by" not in step.step.attributes


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_answer_with_arguments_sends_the_edited_request_live(
    mode: str, server: FakeLLMServer, reel: Reel, intercept: Any
) -> None:
    """A fork that edits a model call's input: the call goes out with the new body fields."""

    class Edit:
        def step_started(self, step: StepHandle) -> Answer | None:
            edited = [{"role": "user", "content": "edited question"}]
            return Answer(arguments={"messages": edited, "temperature": 0.25})

        def step_finished(self, step: StepHandle) -> None:
            pass

    intercept(Edit())
    server.reply(Reply(text="answer to the edit"))
    with agentreel.session("fork") as session:
        if mode == "sync":
            with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **OPTIONS) as c:
                got = c.chat.completions.create(model="gpt-test", messages=USER)
        else:

            async def ask() -> Any:
                async with openai.AsyncOpenAI(
                    base_url=server.openai_base_url, api_key="k", **OPTIONS
                ) as c:
                    return await c.chat.completions.create(model="gpt-test", messages=USER)

            got = asyncio.run(ask())
    assert got.choices[0].message.content == "answer to the edit"
    (sent,) = server.requests
    assert sent.body["messages"] == [{"role": "user", "content": "edited question"}]
    assert sent.body["temperature"] == 0.25
    assert sent.body["model"] == "gpt-test"
    (step,) = reel.steps(session.id)
    assert step.input["body"]["messages"] == [{"role": "user", "content": "edited question"}]
    assert step.output["status"] == 200
