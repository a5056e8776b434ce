"""Which requests are captured, their step names, and the normalised request."""

from __future__ import annotations

import httpx2
import pytest

from agentreel.integrations._request import normalise_request, operation, recognise

STAINLESS = {"x-stainless-lang": "python", "x-stainless-package-version": "9.9.9"}


def _request(
    url: str = "https://api.openai.com/v1/chat/completions", **kw: object
) -> httpx2.Request:
    return httpx2.Request("POST", url, **kw)


@pytest.mark.parametrize(
    ("headers", "vendor"),
    [
        ({**STAINLESS, "user-agent": "OpenAI/Python 3.57.0"}, "openai"),
        ({**STAINLESS, "user-agent": "AsyncAzureOpenAI/Python 3.57.0"}, "openai"),
        ({**STAINLESS, "user-agent": "Anthropic/Python 2.14.0"}, "anthropic"),
        ({**STAINLESS, "user-agent": "AsyncAnthropicBedrock/Python 2.14.0"}, "anthropic"),
        # A subclass of the Anthropic client is named after the subclass.
        ({**STAINLESS, "user-agent": "MyBot/Python 2.14.0", "anthropic-version": "x"}, "anthropic"),
        # Another vendor's Stainless-generated SDK is not ours to record.
        ({**STAINLESS, "user-agent": "Groq/Python 0.9.0"}, None),
        # Without the SDK's fingerprint, a matching user agent is not enough.
        ({"user-agent": "OpenAI/Python 3.57.0"}, None),
        ({}, None),
    ],
)
def test_recognise(headers: dict[str, str], vendor: str | None) -> None:
    assert recognise(_request(headers=headers)) == vendor


@pytest.mark.parametrize(
    ("vendor", "path", "name"),
    [
        ("openai", "/v1/chat/completions", "openai.chat.completions"),
        ("openai", "/v1/responses", "openai.responses"),
        ("openai", "/v1/responses/resp_0123abc/cancel", "openai.responses.cancel"),
        ("openai", "/openai/deployments/gpt-4o-prod/chat/completions", "openai.chat.completions"),
        ("openai", "/proxy/openai/v1/embeddings", "openai.embeddings"),
        ("anthropic", "/v1/messages", "anthropic.messages"),
        ("anthropic", "/v1/messages/count_tokens", "anthropic.messages.count_tokens"),
        ("anthropic", "/v1/messages/batches/msgbatch_01abc", "anthropic.messages.batches"),
        ("anthropic", "/", "anthropic.request"),
    ],
)
def test_operation(vendor: str, path: str, name: str) -> None:
    assert operation(vendor, path) == name


def test_normalised_request_keeps_what_makes_a_call_different() -> None:
    request = _request(
        "https://api.anthropic.com:8443/v1/messages?beta=true&a=2&a=1",
        headers={
            **STAINLESS,
            "user-agent": "Anthropic/Python 2.14.0",
            "anthropic-version": "2023-06-01",
            "anthropic-beta": "tools-2024",
            "x-api-key": "sk-ant-secret",
            "authorization": "Bearer secret",
            "x-stainless-retry-count": "1",
            "idempotency-key": "stainless-python-retry-1",
            "content-type": "application/json",
        },
        content=b'{"model": "claude-test", "max_tokens": 5}',
    )
    got = normalise_request(request, request.read())
    assert got == {
        "method": "POST",
        "host": "api.anthropic.com",
        "url": "/v1/messages?a=2&a=1&beta=true",
        "headers": {
            "anthropic-beta": "tools-2024",
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
        },
        "body": {"model": "claude-test", "max_tokens": 5},
    }


def test_credential_looking_headers_are_dropped() -> None:
    headers = {
        "api-key": "a",
        "Proxy-Authorization": "b",
        "x-goog-api-key": "c",
        "x-my-session-token": "d",
        "cookie": "e",
        "x-tenant": "acme",
    }
    got = normalise_request(_request(headers=headers), b"")
    assert got["headers"] == {"x-tenant": "acme"}
    assert "body" not in got


def test_multipart_bodies_normalise_the_same_whatever_their_boundary() -> None:
    def upload() -> dict[str, object]:
        request = _request(
            "https://api.openai.com/v1/files",
            files={"file": ("notes.txt", b"hello")},
            data={"purpose": "assistants"},
        )
        return normalise_request(request, request.read())

    first, second = upload(), upload()
    assert first == second
    assert first["headers"] == {"content-type": "multipart/form-data; boundary=BOUNDARY"}
    assert "--BOUNDARY" in str(first["text"])
    assert "hello" in str(first["text"])


def test_binary_bodies_are_kept_in_base64() -> None:
    got = normalise_request(_request(), b"\xff\x00\xfe")
    assert got["base64"] == "/wD+"
    assert "body" not in got and "text" not in got
