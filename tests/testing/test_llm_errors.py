"""Errors, retries, delays and scripts: what FakeLLMServer does when things go wrong."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import anthropic
import openai
import pytest

from agentreel.testing import Answer, FakeLLMServer, HTTPError, RequestLog, ToolCall

from .conftest import STRICT

USER = [{"role": "user", "content": "hi"}]
CLAUDE = "claude-fake-1"

# Longer than either client's first back-off (0.5 s at most), so an elapsed
# time above it shows the client waited for Retry-After, not for its default.
RETRY_AFTER = 0.6


def test_openai_retries_a_429_after_retry_after(server: FakeLLMServer) -> None:
    server.reply(HTTPError(status=429, retry_after=RETRY_AFTER), Answer(text="finally"))
    options = {**STRICT, "max_retries": 1}
    with openai.OpenAI(base_url=server.openai_base_url, api_key="test", **options) as client:
        started = time.monotonic()
        got = client.chat.completions.create(model="gpt-4o", messages=USER)
        elapsed = time.monotonic() - started
    assert got.choices[0].message.content == "finally"
    assert elapsed >= RETRY_AFTER
    assert len(server.requests) == 2
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]
    assert server.requests[0].body == server.requests[1].body


def test_anthropic_retries_a_429_after_retry_after(server: FakeLLMServer) -> None:
    server.reply(HTTPError(status=429, retry_after=RETRY_AFTER), Answer(text="finally"))
    options = {**STRICT, "max_retries": 1}
    with anthropic.Anthropic(
        base_url=server.anthropic_base_url, api_key="test", **options
    ) as client:
        started = time.monotonic()
        got = client.messages.create(model=CLAUDE, max_tokens=10, messages=USER)
        elapsed = time.monotonic() - started
    assert got.content[0].text == "finally"
    assert elapsed >= RETRY_AFTER
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1"]


def test_a_429_that_is_not_retried_carries_the_vendor_bodies(
    server: FakeLLMServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    server.reply(HTTPError(status=429, retry_after=2), HTTPError(status=429, retry_after=2))
    with pytest.raises(openai.RateLimitError) as oerr:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert (oerr.value.type, oerr.value.code) == ("requests", "rate_limit_exceeded")
    assert oerr.value.response.headers["retry-after"] == "2"
    assert oerr.value.request_id is not None and oerr.value.request_id.startswith("req_")
    with pytest.raises(anthropic.RateLimitError) as aerr:
        claude.messages.create(model=CLAUDE, max_tokens=10, messages=USER)
    assert aerr.value.type == "rate_limit_error"
    body = aerr.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["request_id"] == aerr.value.request_id


def test_a_500_surfaces_as_the_sdk_exception(
    server: FakeLLMServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    server.reply(HTTPError(status=500, message="boom"), HTTPError(status=500, message="bang"))
    with pytest.raises(openai.InternalServerError) as oerr:
        oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    assert oerr.value.status_code == 500
    assert oerr.value.type == "server_error"
    assert "boom" in str(oerr.value)
    with pytest.raises(anthropic.InternalServerError) as aerr:
        claude.messages.create(model=CLAUDE, max_tokens=10, messages=USER)
    assert (aerr.value.type, aerr.value.api_message) == ("api_error", "bang")


def test_error_type_overrides_the_default_for_the_status(
    server: FakeLLMServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    server.reply(
        HTTPError(status=529, error_type="overloaded_error"),
        HTTPError(status=400, message="max_tokens too large", error_type="custom_kind"),
    )
    with pytest.raises(anthropic.APIStatusError) as aerr:
        claude.messages.create(model=CLAUDE, max_tokens=10, messages=USER)
    assert (aerr.value.status_code, aerr.value.type) == (529, "overloaded_error")
    with pytest.raises(openai.BadRequestError) as oerr:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert oerr.value.type == "custom_kind"
    assert "max_tokens too large" in str(oerr.value)


def test_unknown_paths_get_a_vendor_shaped_404(
    server: FakeLLMServer, oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    server.reply(Answer(text="kept for later"))
    with pytest.raises(openai.NotFoundError) as oerr:
        oai.models.list()
    assert oerr.value.type == "invalid_request_error"
    assert "Invalid URL (GET /v1/models)" in str(oerr.value)
    with pytest.raises(anthropic.NotFoundError) as aerr:
        claude.models.list()
    assert aerr.value.type == "not_found_error"
    assert [(r.method, r.path, r.endpoint) for r in server.requests] == [
        ("GET", "/v1/models", None),
        ("GET", "/v1/models", None),
    ]
    assert server.pending == 1  # a 404 does not use up a scripted reply


def test_a_body_that_is_not_json_gets_a_400(server: FakeLLMServer) -> None:
    request = urllib.request.Request(
        server.openai_base_url + "/chat/completions", data=b"{not json", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    with err.value:
        assert err.value.code == 400
        assert json.loads(err.value.read())["error"]["type"] == "invalid_request_error"
    assert server.requests[0].body is None


def test_delay_holds_the_answer_back(server: FakeLLMServer, oai: openai.OpenAI) -> None:
    server.reply(Answer(text="late", delay=0.3))
    started = time.monotonic()
    got = oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert time.monotonic() - started >= 0.3
    assert got.choices[0].message.content == "late"


def test_a_delay_longer_than_the_timeout_times_the_client_out() -> None:
    server = FakeLLMServer([Answer(text="too late", delay=30)]).start()
    try:
        with openai.OpenAI(
            base_url=server.openai_base_url, api_key="test", max_retries=0, timeout=0.2
        ) as client:
            with pytest.raises(openai.APITimeoutError):
                client.chat.completions.create(model="gpt-4o", messages=USER)
    finally:
        started = time.monotonic()
        server.stop()
    # stop() cuts the 30 s wait short instead of waiting it out.
    assert time.monotonic() - started < 2


def test_a_callable_script_chooses_each_reply() -> None:
    def script(request: RequestLog) -> Answer | HTTPError | None:
        if request.endpoint == "messages":
            return Answer(tool_calls=[ToolCall(name="ask", arguments={"n": request.number})])
        if request.stream:
            return None  # the default echo
        return Answer(text=f"request {request.number} to {request.path}")

    with FakeLLMServer(script) as server:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="test", **STRICT) as oai:
            plain = oai.chat.completions.create(model="gpt-4o", messages=USER)
            streamed = oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
            text = "".join(c.choices[0].delta.content or "" for c in streamed)
        with anthropic.Anthropic(
            base_url=server.anthropic_base_url, api_key="test", **STRICT
        ) as claude:
            message = claude.messages.create(model=CLAUDE, max_tokens=10, messages=USER)
    assert plain.choices[0].message.content == "request 1 to /v1/chat/completions"
    assert text == "echo: hi"
    assert message.content[0].input == {"n": 3}


def test_a_failing_script_answers_500_without_retries() -> None:
    def script(request: RequestLog) -> Answer:
        raise ValueError("the test's script is broken")

    with FakeLLMServer(script) as server:
        with openai.OpenAI(base_url=server.openai_base_url, api_key="test", max_retries=2) as oai:
            with pytest.raises(openai.InternalServerError) as err:
                oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert "the test's script is broken" in str(err.value)
    assert len(server.requests) == 1  # x-should-retry: false kept the client from retrying


def test_anthropic_tool_input_must_be_a_json_object(
    server: FakeLLMServer, claude: anthropic.Anthropic
) -> None:
    server.reply(Answer(tool_calls=[ToolCall(name="f", arguments="[1, 2]")]))
    with pytest.raises(anthropic.InternalServerError) as err:
        claude.messages.create(model=CLAUDE, max_tokens=10, messages=USER)
    assert "must be a JSON object" in str(err.value)
