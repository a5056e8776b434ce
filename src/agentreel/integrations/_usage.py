"""Model and token usage read off a recorded response, whole or streamed.

Whole responses carry ``model`` and ``usage`` at the top level (OpenAI chat
completions and Responses, Anthropic messages). Streams carry them in their
final events instead:

- chat completions: the chunk with a non-null ``usage`` (sent last when the
  request sets ``stream_options.include_usage``); every chunk names the model;
- Responses: the ``response`` of ``response.completed`` (or ``.incomplete``,
  ``.failed``);
- Anthropic: ``message_start`` holds the model and the prompt usage,
  ``message_delta`` the final (cumulative) output usage.

Usage means what it means everywhere in agentreel: ``input`` is every prompt
token with ``cached`` among them (Anthropic reports cache reads and writes
outside ``input_tokens``; they are added back), ``output`` every generated
token with ``reasoning`` among them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from agentreel.recording import StepHandle

from ._record import ResponseRecord, is_event_stream

_FINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
_LINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallUsage:
    """What a model call reported: the model that answered and its token counts."""

    model: str | None = None
    input: int = 0
    output: int = 0
    cached: int = 0
    reasoning: int = 0
    reported: bool = False


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def usage_of(model: Any, usage: Any) -> CallUsage:
    """Counts from a vendor ``usage`` object (any of the three shapes)."""
    name = model if isinstance(model, str) else None
    u = _dict(usage)
    if "prompt_tokens" in u or "completion_tokens" in u:
        return CallUsage(
            model=name,
            input=_int(u.get("prompt_tokens")),
            output=_int(u.get("completion_tokens")),
            cached=_int(_dict(u.get("prompt_tokens_details")).get("cached_tokens")),
            reasoning=_int(_dict(u.get("completion_tokens_details")).get("reasoning_tokens")),
            reported=True,
        )
    if "input_tokens" in u or "output_tokens" in u:
        cache_read = _int(u.get("cache_read_input_tokens"))
        cache_write = _int(u.get("cache_creation_input_tokens"))
        details = _dict(u.get("output_tokens_details"))
        return CallUsage(
            model=name,
            input=_int(u.get("input_tokens")) + cache_read + cache_write,
            output=_int(u.get("output_tokens")),
            cached=cache_read or _int(_dict(u.get("input_tokens_details")).get("cached_tokens")),
            reasoning=_int(details.get("reasoning_tokens")) or _int(details.get("thinking_tokens")),
            reported=True,
        )
    return CallUsage(model=name)


def usage_of_body(body: Any) -> CallUsage:
    """From a whole JSON response (already parsed)."""
    doc = _dict(body)
    return usage_of(doc.get("model"), doc.get("usage"))


def events(text: str) -> list[tuple[str, str]]:
    """The ``(event, data)`` pairs of a server-sent event stream."""
    found: list[tuple[str, str]] = []
    name = ""
    data: list[str] = []
    for line in [*_LINE.split(text), ""]:
        if not line:
            if data:
                found.append((name, "\n".join(data)))
            name, data = "", []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif line.startswith("event:"):
            name = line[6:].strip()
    return found


def usage_of_stream(text: str) -> CallUsage:
    """From the final events of a streamed response."""
    model: Any = None
    usage: dict[str, Any] | None = None
    for _, data in events(text):
        if not data.startswith("{"):
            continue  # "[DONE]" and the like
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        if not isinstance(doc, dict):
            continue
        kind = doc.get("type")
        if kind == "message_start":
            message = _dict(doc.get("message"))
            model = message.get("model", model)
            usage = dict(_dict(message.get("usage")))
        elif kind == "message_delta":
            delta = {k: v for k, v in _dict(doc.get("usage")).items() if v is not None}
            usage = {**(usage or {}), **delta}
        elif kind in _FINAL_RESPONSE_EVENTS:
            response = _dict(doc.get("response"))
            model = response.get("model", model)
            usage = _dict(response.get("usage")) or usage
        elif doc.get("object") == "chat.completion.chunk":
            model = doc.get("model", model)
            if isinstance(doc.get("usage"), dict):
                usage = doc["usage"]
    return usage_of(model, usage)


def read_usage(record: ResponseRecord) -> CallUsage:
    """Model and usage of a recorded response; empty when it reports none."""
    try:
        text = record.content.decode("utf-8")
    except UnicodeDecodeError:
        return CallUsage()
    if record.chunks is not None or is_event_stream(record.headers):
        return usage_of_stream(text)
    try:
        return usage_of_body(json.loads(text))
    except ValueError:
        return CallUsage()


def apply_usage(step: StepHandle, usage: CallUsage) -> None:
    """Put the answering model and the token counts on ``step``.

    The cost is left to the recorder, which prices the tokens when the step ends.
    """
    if usage.model:
        step.set_model(usage.model)
    if usage.reported:
        step.record_usage(
            input=usage.input, output=usage.output, cached=usage.cached, reasoning=usage.reasoning
        )
