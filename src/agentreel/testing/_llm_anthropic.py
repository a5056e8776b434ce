"""Anthropic Messages API: ``message`` objects and the ``message_*``, ``content_block_*`` events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._llm_replies import Answer, ToolCall
from ._llm_wire import Event, Turn


def _usage(turn: Turn, *, output: int) -> dict[str, Any]:
    u = turn.usage
    fields: dict[str, Any] = {
        # Anthropic counts cache reads outside input_tokens; Usage.input includes them.
        "input_tokens": u.input - u.cached,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": u.cached,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output,
        "service_tier": "standard",
    }
    if u.reasoning:
        fields["output_tokens_details"] = {"thinking_tokens": u.reasoning}
    return fields


def _tool_id(turn: Turn, index: int, call: ToolCall) -> str:
    return call.id or turn.ident("toolu_01", index, size=22)


def _stop_reason(answer: Answer) -> str:
    return "tool_use" if answer.tool_calls else "end_turn"


def _tool_block(turn: Turn, index: int, call: ToolCall, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": _tool_id(turn, index, call),
        "name": call.name,
        "input": value,
    }


def _content(answer: Answer, turn: Turn) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if answer.pieces:
        blocks.append({"type": "text", "text": answer.full_text})
    blocks.extend(
        _tool_block(turn, i, call, call.input_object()) for i, call in enumerate(answer.tool_calls)
    )
    return blocks


def _message(answer: Answer, turn: Turn, *, done: bool) -> dict[str, Any]:
    return {
        "id": turn.ident("msg_01", size=22),
        "type": "message",
        "role": "assistant",
        "model": turn.model,
        "content": _content(answer, turn) if done else [],
        "stop_reason": _stop_reason(answer) if done else None,
        "stop_sequence": None,
        # A stream starts with the output counted so far, as the real API does.
        "usage": _usage(turn, output=turn.usage.output if done else min(1, turn.usage.output)),
    }


def message(answer: Answer, turn: Turn) -> dict[str, Any]:
    """The non-streaming response body."""
    return _message(answer, turn, done=True)


def events(answer: Answer, turn: Turn) -> Iterator[Event]:
    """The streamed response, each event named by its type."""

    def event(type_: str, paced: bool = False, /, **fields: Any) -> Event:
        return Event(name=type_, data={"type": type_, **fields}, delta=paced)

    # Fail before the first byte when a tool's input cannot be an object.
    for call in answer.tool_calls:
        call.input_object()
    yield event("message_start", message=_message(answer, turn, done=False))
    yield event("ping")
    index = 0
    if answer.pieces:
        yield event("content_block_start", index=index, content_block={"type": "text", "text": ""})
        for piece in answer.pieces:
            yield event(
                "content_block_delta",
                True,
                index=index,
                delta={"type": "text_delta", "text": piece},
            )
        yield event("content_block_stop", index=index)
        index += 1
    for i, call in enumerate(answer.tool_calls):
        yield event(
            "content_block_start", index=index, content_block=_tool_block(turn, i, call, {})
        )
        for fragment in call.fragments:
            delta = {"type": "input_json_delta", "partial_json": fragment}
            yield event("content_block_delta", True, index=index, delta=delta)
        yield event("content_block_stop", index=index)
        index += 1
    u = turn.usage
    usage: dict[str, Any] = {
        # message_delta carries cumulative totals, which the SDK copies over message_start's.
        "input_tokens": u.input - u.cached,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": u.cached,
        "output_tokens": u.output,
    }
    if u.reasoning:
        usage["output_tokens_details"] = {"thinking_tokens": u.reasoning}
    yield event(
        "message_delta",
        delta={"stop_reason": _stop_reason(answer), "stop_sequence": None},
        usage=usage,
    )
    yield event("message_stop")
