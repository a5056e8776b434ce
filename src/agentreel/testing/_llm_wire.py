"""What every endpoint of the fake LLM server shares: ids, events, defaults, errors."""

from __future__ import annotations

import hashlib
import json
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._llm_replies import Answer, HTTPError, RequestLog, Usage

#: ``created`` of the first request (2026-01-01T00:00:00Z); each later request
#: is one second later, so timestamps depend on the request order only.
EPOCH = 1_767_225_600

_ALPHABET = string.ascii_letters + string.digits


def ident(prefix: str, number: int, index: int = 0, size: int = 24) -> str:
    """A vendor-looking id that depends only on (prefix, request number, index)."""
    digest = hashlib.sha256(f"{prefix}|{number}|{index}".encode()).digest()
    while len(digest) < size:
        digest += hashlib.sha256(digest).digest()
    return prefix + "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:size])


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn:
    """One answered request: what the renderers need besides the answer."""

    number: int
    body: Mapping[str, Any]
    model: str
    usage: Usage

    @property
    def created(self) -> int:
        return EPOCH + self.number - 1

    def ident(self, prefix: str, index: int = 0, size: int = 24) -> str:
        return ident(prefix, self.number, index, size)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One server-sent event; ``delta`` marks a content chunk (paced by chunk_delay)."""

    data: Mapping[str, Any] | str
    name: str | None = None
    delta: bool = False

    def encode(self) -> bytes:
        data = self.data if isinstance(self.data, str) else dumps(self.data)
        head = f"event: {self.name}\n" if self.name else ""
        return f"{head}data: {data}\n\n".encode()


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def last_user_text(body: Any) -> str:
    """The text of the last user message of a chat, Responses or Messages request."""
    if not isinstance(body, dict):
        return ""
    items = body.get("messages", body.get("input"))
    if isinstance(items, str):  # the Responses API's shorthand for one user message
        return items
    if not isinstance(items, list):
        return ""
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            return _text_of(item.get("content"))
    return ""


def echo(request: RequestLog) -> Answer:
    """The answer when nothing is queued: ``"echo: <last user message>"``."""
    return Answer(text="echo: " + last_user_text(request.body))


def _estimate(chars: int) -> int:
    # The usual rule of thumb for English text: about four characters a token.
    return max(1, math.ceil(chars / 4))


def resolve_usage(answer: Answer, body: Mapping[str, Any]) -> Usage:
    """The answer's usage, or a deterministic estimate from the sizes of prompt and answer."""
    if answer.usage is not None:
        return answer.usage
    prompt = [body.get(key) for key in ("system", "instructions", "messages", "input")]
    produced = answer.full_text + "".join(c.name + c.arguments_json for c in answer.tool_calls)
    return Usage(input=_estimate(len(dumps(prompt))), output=_estimate(len(produced)))


def _openai_error_kind(status: int) -> tuple[str, str | None]:
    if status == 429:
        return "requests", "rate_limit_exceeded"
    if status >= 500:
        return "server_error", None
    if status == 401:
        return "invalid_request_error", "invalid_api_key"
    return "invalid_request_error", None


_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def openai_error(error: HTTPError) -> dict[str, Any]:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    kind, code = _openai_error_kind(error.status)
    message = error.message or f"The fake server answered {error.status}."
    return {
        "error": {
            "message": message,
            "type": error.error_type or kind,
            "param": None,
            "code": code,
        }
    }


def anthropic_error(error: HTTPError, request_id: str) -> dict[str, Any]:
    """Anthropic's error body: ``{"type": "error", "error": {"type", "message"}, "request_id"}``."""
    default = "api_error" if error.status >= 500 else "invalid_request_error"
    kind = error.error_type or _ANTHROPIC_ERROR_TYPES.get(error.status, default)
    return {
        "type": "error",
        "error": {
            "type": kind,
            "message": error.message or f"The fake server answered {error.status}.",
        },
        "request_id": request_id,
    }
