"""What the fake LLM server answers, and what it saw.

The reply values are vendor-neutral: the same :class:`Answer` is rendered as an
OpenAI chat completion, an OpenAI Responses API response or an Anthropic
message, depending on the endpoint the client called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from agentreel.errors import ConfigurationError

__all__ = ["Answer", "HTTPError", "Reply", "RequestLog", "ToolCall", "Usage"]

# A word and the whitespace after it: cutting text this way keeps every piece
# non-empty and their concatenation equal to the text.
_WORDS = re.compile(r"\s*\S+\s*|\s+")


def _check_count(owner: str, name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigurationError(f"{owner}({name}={value!r}): give a whole number of 0 or more")


def _check_seconds(owner: str, name: str, value: object) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 3600:
        raise ConfigurationError(f"{owner}({name}={value!r}): give a number of seconds, 0 or more")


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Token counts reported with an answer, in agentreel's meaning of them.

    ``input`` counts every prompt token, ``cached`` ones included, and
    ``output`` every generated token, ``reasoning`` ones included. The server
    translates into each vendor's fields: Anthropic reports cache reads outside
    ``input_tokens``, so there ``input_tokens`` is ``input - cached``.
    """

    input: int = 0
    output: int = 0
    cached: int = 0
    reasoning: int = 0

    def __post_init__(self) -> None:
        for name in ("input", "output", "cached", "reasoning"):
            _check_count("Usage", name, getattr(self, name))
        if self.cached > self.input:
            raise ConfigurationError(
                f"Usage(cached={self.cached}, input={self.input}): cached tokens are part of "
                "the input tokens, so input must be at least cached"
            )
        if self.reasoning > self.output:
            raise ConfigurationError(
                f"Usage(reasoning={self.reasoning}, output={self.output}): reasoning tokens are "
                "part of the output tokens, so output must be at least reasoning"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One function call the model asks for.

    ``arguments`` is a mapping (sent as compact JSON) or a string sent as it
    is, which lets a test serve malformed JSON to an OpenAI client. Anthropic
    carries tool input as an object, so there a string must hold a JSON object.
    ``id`` defaults to a deterministic vendor-shaped id. When streamed, the
    arguments arrive in fragments of ``chunk_size`` characters.
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None
    chunk_size: int = 16

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigurationError(f"ToolCall(name={self.name!r}): give the tool's name")
        if not isinstance(self.arguments, str | Mapping):
            raise ConfigurationError(
                f"ToolCall(arguments={self.arguments!r}): give a mapping or a JSON string"
            )
        if not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise ConfigurationError(f"ToolCall(chunk_size={self.chunk_size!r}): give 1 or more")

    @property
    def arguments_json(self) -> str:
        """The arguments as the JSON text the model would produce."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments), separators=(",", ":"), ensure_ascii=False)

    @property
    def fragments(self) -> tuple[str, ...]:
        """The streamed pieces of :attr:`arguments_json`."""
        text, size = self.arguments_json, self.chunk_size
        return tuple(text[i : i + size] for i in range(0, len(text), size))

    def input_object(self) -> dict[str, Any]:
        """The arguments as a JSON object (Anthropic's ``tool_use.input``)."""
        if not isinstance(self.arguments, str):
            return dict(self.arguments)
        try:
            value = json.loads(self.arguments)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise ConfigurationError(
                f"ToolCall {self.name!r}: Anthropic tool input must be a JSON object, but the "
                f"arguments are {self.arguments!r}; pass a mapping instead"
            )
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """A successful model answer: text, tool calls, or both.

    ``text`` is a string, or a sequence of strings that are the exact chunks a
    streaming client receives (the answer's text is their concatenation); a
    plain string is streamed word by word. ``usage=None`` reports an estimate
    (about four characters a token) and ``model=None`` echoes the request's
    model. ``delay`` is the wait before the response starts, ``chunk_delay``
    the wait between consecutive streamed text chunks and argument fragments.
    """

    text: str | Sequence[str] = ""
    tool_calls: Sequence[ToolCall] = ()
    usage: Usage | None = None
    model: str | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) and not all(isinstance(p, str) for p in self.text):
            raise ConfigurationError(
                f"Answer(text={self.text!r}): give a string or a sequence of strings"
            )
        if not all(isinstance(call, ToolCall) for call in self.tool_calls):
            raise ConfigurationError(
                f"Answer(tool_calls={self.tool_calls!r}): give a sequence of ToolCall values"
            )
        _check_seconds("Answer", "delay", self.delay)
        _check_seconds("Answer", "chunk_delay", self.chunk_delay)

    @property
    def full_text(self) -> str:
        """The whole text of the answer."""
        return self.text if isinstance(self.text, str) else "".join(self.text)

    @property
    def pieces(self) -> tuple[str, ...]:
        """The text chunks a streaming client receives, in order."""
        if isinstance(self.text, str):
            return tuple(_WORDS.findall(self.text))
        return tuple(piece for piece in self.text if piece)


@dataclass(frozen=True, slots=True, kw_only=True)
class HTTPError:
    """An error response: ``status`` with the vendor's error body.

    ``error_type`` overrides the vendor error type chosen from the status
    (OpenAI's ``error.type``, Anthropic's ``error.type``). ``retry_after``
    (seconds, fractions allowed) is sent as a ``Retry-After`` header, which the
    official clients honour when they retry a 429 or a 5xx.
    """

    status: int
    message: str | None = None
    error_type: str | None = None
    retry_after: float | None = None
    delay: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.status, int) or not 400 <= self.status <= 599:
            raise ConfigurationError(
                f"HTTPError(status={self.status!r}): give an error status from 400 to 599"
            )
        if self.retry_after is not None:
            _check_seconds("HTTPError", "retry_after", self.retry_after)
        _check_seconds("HTTPError", "delay", self.delay)


Reply: TypeAlias = Answer | HTTPError


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestLog:
    """One request the server received, as the client sent it.

    ``headers`` has lower-case names and holds credentials verbatim (this is a
    test server; nothing here is stored). ``body`` is the parsed JSON body, or
    ``None`` when there was none or it was not JSON. ``endpoint`` names the API
    (``"chat.completions"``, ``"responses"``, ``"messages"``), ``None`` for an
    unknown path. ``number`` counts requests from 1.
    """

    number: int
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: Any
    time: float
    endpoint: str | None

    @property
    def stream(self) -> bool:
        """Whether the client asked for server-sent events."""
        return isinstance(self.body, dict) and self.body.get("stream") is True
