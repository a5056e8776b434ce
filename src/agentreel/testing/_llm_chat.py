"""OpenAI Chat Completions: ``chat.completion`` objects and ``chat.completion.chunk`` events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._llm_replies import Answer, ToolCall
from ._llm_wire import Event, Turn

# Real responses carry the backend's fingerprint; a fixed one keeps ours reproducible.
FINGERPRINT = "fp_agentreel0"


def usage_fields(turn: Turn) -> dict[str, Any]:
    u = turn.usage
    return {
        "prompt_tokens": u.input,
        "completion_tokens": u.output,
        "total_tokens": u.input + u.output,
        "prompt_tokens_details": {"cached_tokens": u.cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": u.reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _call_id(turn: Turn, index: int, call: ToolCall) -> str:
    return call.id or turn.ident("call_", index)


def _finish_reason(answer: Answer) -> str:
    return "tool_calls" if answer.tool_calls else "stop"


def _head(turn: Turn, object_type: str) -> dict[str, Any]:
    return {
        "id": turn.ident("chatcmpl-", size=29),
        "object": object_type,
        "created": turn.created,
        "model": turn.model,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


def completion(answer: Answer, turn: Turn) -> dict[str, Any]:
    """The non-streaming response body."""
    text = answer.full_text
    message: dict[str, Any] = {
        # A tool-call-only answer has null content, a text answer a string.
        "role": "assistant",
        "content": text if text or not answer.tool_calls else None,
        "refusal": None,
        "annotations": [],
    }
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(turn, i, call),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json},
            }
            for i, call in enumerate(answer.tool_calls)
        ]
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": _finish_reason(answer),
    }
    return {**_head(turn, "chat.completion"), "choices": [choice], "usage": usage_fields(turn)}


def chunks(answer: Answer, turn: Turn) -> Iterator[Event]:
    """The streamed response: chunks, an optional usage chunk, then ``[DONE]``."""
    options = turn.body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    head = _head(turn, "chat.completion.chunk")

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        body = {**head, "choices": [choice]}
        if include_usage:
            # Every chunk says usage is not there yet; only the last one carries it.
            body["usage"] = None
        return body

    first: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
    if not answer.pieces and answer.tool_calls:
        first["content"] = None
    yield Event(data=chunk(first))
    for piece in answer.pieces:
        yield Event(data=chunk({"content": piece}), delta=True)
    for index, call in enumerate(answer.tool_calls):
        opening = {
            "index": index,
            "id": _call_id(turn, index, call),
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield Event(data=chunk({"tool_calls": [opening]}))
        for fragment in call.fragments:
            delta = {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}
            yield Event(data=chunk(delta), delta=True)
    yield Event(data=chunk({}, _finish_reason(answer)))
    if include_usage:
        yield Event(data={**head, "choices": [], "usage": usage_fields(turn)})
    yield Event(data="[DONE]")
