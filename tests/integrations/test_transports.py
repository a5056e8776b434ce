"""instrument() / uninstrument(), and the explicit recording transports."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest

import agentreel
from agentreel.integrations import (
    AsyncRecordingTransport,
    RecordingTransport,
    instrument,
    is_instrumented,
    uninstrument,
)
from agentreel.testing import Answer, FakeLLMServer

from .conftest import Reel
from .scenarios import OPTIONS, USER

SYNC_ORIGINAL = httpx2.HTTPTransport.__dict__["handle_request"]
ASYNC_ORIGINAL = httpx2.AsyncHTTPTransport.__dict__["handle_async_request"]


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    uninstrument()
    httpx2.HTTPTransport.handle_request = SYNC_ORIGINAL
    httpx2.AsyncHTTPTransport.handle_async_request = ASYNC_ORIGINAL


def _ask(url: str, **client: Any) -> str:
    with openai.OpenAI(base_url=url + "/v1", api_key="k", **OPTIONS, **client) as c:
        got = c.chat.completions.create(model="gpt-test", messages=USER)
    return str(got.choices[0].message.content)


def test_instrument_wraps_once_and_uninstrument_restores(server: FakeLLMServer, reel: Reel) -> None:
    assert not is_instrumented()
    instrument()
    instrument()
    assert is_instrumented()
    wrapped = httpx2.HTTPTransport.handle_request
    assert wrapped is not SYNC_ORIGINAL
    assert wrapped.__wrapped__ is SYNC_ORIGINAL
    assert httpx2.AsyncHTTPTransport.handle_async_request is not ASYNC_ORIGINAL
    with agentreel.session("twice") as session:
        _ask(server.url)
    assert len(reel.steps(session.id)) == 1
    uninstrument()
    assert not is_instrumented()
    assert httpx2.HTTPTransport.__dict__["handle_request"] is SYNC_ORIGINAL
    assert httpx2.AsyncHTTPTransport.__dict__["handle_async_request"] is ASYNC_ORIGINAL
    with agentreel.session("after") as session:
        assert _ask(server.url) == "echo: What is the weather in Paris?"
    assert reel.steps(session.id) == []


def test_a_wrapper_wrapped_again_is_turned_off_not_torn_out(
    server: FakeLLMServer, reel: Reel
) -> None:
    instrument()
    ours = httpx2.HTTPTransport.handle_request
    calls: list[str] = []

    def theirs(self: Any, request: httpx2.Request) -> httpx2.Response:
        calls.append(request.url.path)
        return ours(self, request)

    httpx2.HTTPTransport.handle_request = theirs
    uninstrument()
    assert httpx2.HTTPTransport.handle_request is theirs
    with agentreel.session("theirs") as session:
        _ask(server.url)
    assert calls == ["/v1/chat/completions"]
    assert reel.steps(session.id) == []


def test_recording_transport_for_a_client_built_by_hand(server: FakeLLMServer, reel: Reel) -> None:
    server.reply(Answer(text="by hand"), Answer(text=["by ", "hand"]))
    with agentreel.session("explicit") as session:
        http = httpx2.Client(transport=RecordingTransport())
        with openai.OpenAI(
            base_url=server.openai_base_url, api_key="k", http_client=http, **OPTIONS
        ) as client:
            got = client.chat.completions.create(model="gpt-test", messages=USER)
            text = "".join(
                c.choices[0].delta.content or ""
                for c in client.chat.completions.create(
                    model="gpt-test", messages=USER, stream=True
                )
                if c.choices
            )
            plain = http.get(server.url + "/not-an-sdk-call")
    assert got.choices[0].message.content == "by hand"
    assert text == "by hand"
    assert plain.status_code == 404
    steps = reel.steps(session.id)
    assert [s.step.name for s in steps] == ["openai.chat.completions"] * 2
    assert "body" in steps[0].output and "chunks" in steps[1].output


def test_async_recording_transport_and_instrument_record_a_call_once(
    server: FakeLLMServer, reel: Reel
) -> None:
    instrument()

    async def main() -> str:
        http = httpx2.AsyncClient(transport=AsyncRecordingTransport(httpx2.AsyncHTTPTransport()))
        async with openai.AsyncOpenAI(
            base_url=server.openai_base_url, api_key="k", http_client=http, **OPTIONS
        ) as client:
            got = await client.chat.completions.create(model="gpt-test", messages=USER)
        return str(got.choices[0].message.content)

    with agentreel.session("both") as session:
        assert asyncio.run(main()) == "echo: What is the weather in Paris?"
    (step,) = reel.steps(session.id)
    assert step.step.name == "openai.chat.completions"


def test_a_compressed_response_is_recorded_and_handed_on_decoded(reel: Reel) -> None:
    body = json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-test",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "squeezed"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8},
        }
    ).encode()
    packed = gzip.compress(body)

    def server(request: httpx2.Request) -> httpx2.Response:
        # The compressed body arrives in three pieces, as it would off a socket.
        pieces = [packed[:10], packed[10:25], packed[25:]]
        headers = {
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": str(len(packed)),
        }
        return httpx2.Response(200, headers=headers, content=iter(pieces))

    http = httpx2.Client(transport=RecordingTransport(httpx2.MockTransport(server)))
    with agentreel.session("gzip") as session:
        with openai.OpenAI(
            base_url="https://api.example.test/v1", api_key="k", http_client=http, **OPTIONS
        ) as client:
            raw = client.chat.completions.with_raw_response.create(model="gpt-test", messages=USER)
    assert raw.parse().choices[0].message.content == "squeezed"
    assert raw.http_response.content == body
    assert "content-encoding" not in raw.http_response.headers
    (step,) = reel.steps(session.id)
    assert step.output["body"] == body.decode()
    assert "content-encoding" not in step.output["headers"]
    assert step.input["host"] == "api.example.test"
    assert step.step.usage.input == 7
