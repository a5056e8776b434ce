"""FakeLLMServer itself: the request log, determinism, the script queue, lifecycle, inputs."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import agentreel.testing
from agentreel.errors import ConfigurationError
from agentreel.testing import Answer, FakeLLMServer, HTTPError, ToolCall, Usage

from .conftest import STRICT

USER = [{"role": "user", "content": "hi"}]


def test_the_request_log_holds_what_the_clients_sent(
    server: FakeLLMServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    before = time.time()
    oai.chat.completions.create(model="gpt-4o", messages=USER, temperature=0.25)
    claude.messages.create(model="claude-fake-1", max_tokens=7, messages=USER, stream=True).close()
    first, second = server.requests
    assert (first.number, first.method, first.path, first.query) == (
        1,
        "POST",
        "/v1/chat/completions",
        "",
    )
    assert first.endpoint == "chat.completions" and first.stream is False
    assert first.body == {"model": "gpt-4o", "messages": USER, "temperature": 0.25}
    assert first.headers["authorization"] == "Bearer test"
    assert first.headers["x-stainless-lang"] == "python"
    assert first.headers["x-stainless-package-version"] == openai.__version__
    assert first.headers["x-stainless-retry-count"] == "0"
    assert before <= first.time <= second.time <= time.time()
    assert (second.number, second.endpoint, second.stream) == (2, "messages", True)
    assert second.body["max_tokens"] == 7
    # This anthropic release sends the key as a bearer token, not as x-api-key.
    assert second.headers["authorization"] == "Bearer test"
    assert second.headers["anthropic-version"]
    assert second.headers["x-stainless-package-version"] == anthropic.__version__


def _session(server: FakeLLMServer) -> list[Any]:
    """The same three calls, returning what carries ids and timestamps."""
    server.reply(Answer(tool_calls=[ToolCall(name="f")]))
    with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **STRICT) as oai:
        chat = oai.chat.completions.create(model="m", messages=USER)
        resp = oai.responses.create(model="m", input="x")
    with anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="k", **STRICT) as claude:
        msg = claude.messages.create(model="claude-fake-1", max_tokens=5, messages=USER)
    call = chat.choices[0].message.tool_calls[0]
    return [chat.id, chat.created, call.id, resp.id, resp.created_at, resp.output[0].id, msg.id]


def test_ids_and_timestamps_depend_only_on_the_request_sequence() -> None:
    with FakeLLMServer() as one:
        first = _session(one)
    with FakeLLMServer() as two:
        second = _session(two)
    assert first == second
    chat_created, resp_created = first[1], first[4]
    assert resp_created == chat_created + 1  # one second per request
    assert len(set(first) - {chat_created, resp_created}) == 5  # every id differs


def test_script_then_queued_replies_then_the_echo() -> None:
    with FakeLLMServer([Answer(text="one"), Answer(text="two")]) as server:
        server.reply(Answer(text="three"))
        assert server.pending == 3
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **STRICT) as client:
            texts = [
                client.chat.completions.create(model="m", messages=USER).choices[0].message.content
                for _ in range(4)
            ]
        assert server.pending == 0
    assert texts == ["one", "two", "three", "echo: hi"]


def test_lifecycle() -> None:
    server = FakeLLMServer()
    with pytest.raises(ConfigurationError, match="not running"):
        server.url  # noqa: B018
    server.start()
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    assert server.openai_base_url == url + "/v1"
    assert server.anthropic_base_url == url
    with pytest.raises(ConfigurationError, match="already running"):
        server.start()
    server.stop()
    server.stop()  # stopping twice is harmless
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/v1/models", timeout=2)
    with server:  # and it can serve again, on a new port
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", **STRICT) as client:
            got = client.chat.completions.create(model="m", messages=USER)
    assert got.choices[0].message.content == "echo: hi"


def test_stop_cuts_a_stream_in_progress() -> None:
    server = FakeLLMServer([Answer(text=["a", "b", "c"], chunk_delay=30)]).start()
    with openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0) as client:
        stream = client.chat.completions.create(model="m", messages=USER, stream=True)
        with stream:
            iterator = iter(stream)
            next(iterator)  # the role chunk
            assert next(iterator).choices[0].delta.content == "a"
            started = time.monotonic()
            server.stop()
            assert time.monotonic() - started < 2
            with pytest.raises(openai.APIError):
                list(iterator)


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda: Usage(input=5, cached=6), "at least cached"),
        (lambda: Usage(output=1, reasoning=2), "at least reasoning"),
        (lambda: Usage(input=-1), "0 or more"),
        (lambda: Usage(output=True), "whole number"),
        (lambda: ToolCall(name=""), "tool's name"),
        (lambda: ToolCall(name="f", chunk_size=0), "1 or more"),
        (lambda: ToolCall(name="f", arguments=[1]), "mapping or a JSON string"),
        (lambda: Answer(text=["a", 1]), "sequence of strings"),
        (lambda: Answer(tool_calls=[{"name": "f"}]), "ToolCall values"),
        (lambda: Answer(delay=-1), "seconds"),
        (lambda: Answer(chunk_delay="1"), "seconds"),
        (lambda: HTTPError(status=200), "400 to 599"),
        (lambda: HTTPError(status=429, retry_after=-2), "seconds"),
        (lambda: FakeLLMServer().reply("hello"), "Answer or an HTTPError"),
    ],
)
def test_bad_replies_are_refused_with_a_hint(make: Any, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        make()


def test_text_pieces_and_argument_fragments() -> None:
    assert Answer(text="  two words\nhere ").pieces == ("  two ", "words\n", "here ")
    assert Answer(text=["ab", "", "c"]).pieces == ("ab", "c")
    assert Answer(text=["ab", "", "c"]).full_text == "abc"
    call = ToolCall(name="f", arguments={"k": "vvvv"}, chunk_size=4)
    assert call.arguments_json == '{"k":"vvvv"}'
    assert call.fragments == ('{"k"', ':"vv', 'vv"}')
    assert ToolCall(name="f", arguments="not json").fragments == ("not json",)
    assert ToolCall(name="f").arguments_json == "{}"


DOC = (Path(__file__).parents[2] / "docs" / "testing.md").read_text(encoding="utf-8")
OURS = ["Answer", "FakeLLMServer", "HTTPError", "Reply", "RequestLog", "ToolCall", "Usage"]


def test_the_example_in_the_docs_runs() -> None:
    example = DOC.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(example, "docs/testing.md", "exec"), namespace)
    assert len(namespace["server"].requests) == 4
    assert namespace["server"].requests[-1].endpoint == "messages"


@pytest.mark.parametrize("name", OURS)
def test_every_public_name_is_exported_and_documented(name: str) -> None:
    assert name in agentreel.testing.__all__
    assert f"`{name}" in DOC, f"{name} is not in docs/testing.md"
