"""OpenAI Responses API: ``response`` objects and the ``response.*`` event stream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._llm_replies import Answer, ToolCall
from ._llm_wire import Event, Turn


def _usage(turn: Turn) -> dict[str, Any]:
    u = turn.usage
    return {
        "input_tokens": u.input,
        "input_tokens_details": {"cached_tokens": u.cached, "cache_write_tokens": 0},
        "output_tokens": u.output,
        "output_tokens_details": {"reasoning_tokens": u.reasoning},
        "total_tokens": u.input + u.output,
    }


def _tools(body: Any) -> list[Any]:
    # The API echoes the request's tools, with function tools made strict by default.
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    echoed = []
    for tool in tools:
        if isinstance(tool, dict) and tool.get("type") == "function":
            tool = {"parameters": None, "strict": True, **tool}
        echoed.append(tool)
    return echoed


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message(turn: Turn, text: str, status: str) -> dict[str, Any]:
    content = [_text_part(text)] if status == "completed" else []
    return {
        "id": turn.ident("msg_", size=48),
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _function_call(turn: Turn, index: int, call: ToolCall, arguments: str, status: str) -> Any:
    return {
        "id": turn.ident("fc_", index, size=48),
        "type": "function_call",
        "status": status,
        "arguments": arguments,
        "call_id": call.id or turn.ident("call_", index),
        "name": call.name,
    }


def _has_message(answer: Answer) -> bool:
    # An answer with neither text nor tool calls is still one (empty) message.
    return bool(answer.pieces) or not answer.tool_calls


def _output(answer: Answer, turn: Turn) -> list[dict[str, Any]]:
    items = [_message(turn, answer.full_text, "completed")] if _has_message(answer) else []
    items.extend(
        _function_call(turn, i, call, call.arguments_json, "completed")
        for i, call in enumerate(answer.tool_calls)
    )
    return items


def response(answer: Answer, turn: Turn, *, done: bool = True) -> dict[str, Any]:
    """The response object; ``done=False`` is its in-progress form at the start of a stream."""
    body = turn.body
    return {
        "id": turn.ident("resp_", size=48),
        "object": "response",
        "created_at": turn.created,
        "status": "completed" if done else "in_progress",
        "background": False,
        "completed_at": turn.created if done else None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": turn.model,
        "output": _output(answer, turn) if done else [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": _tools(body),
        "top_logprobs": 0,
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": _usage(turn) if done else None,
        "user": None,
        "metadata": body.get("metadata") or {},
    }


def events(answer: Answer, turn: Turn) -> Iterator[Event]:
    """The streamed response, each event named by its type and numbered in sequence."""
    sequence = 0

    def event(type_: str, paced: bool = False, /, **fields: Any) -> Event:
        nonlocal sequence
        data = {"type": type_, "sequence_number": sequence, **fields}
        sequence += 1
        return Event(name=type_, data=data, delta=paced)

    started = response(answer, turn, done=False)
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    index = 0
    if _has_message(answer):
        item_id = turn.ident("msg_", size=48)
        where = {"item_id": item_id, "output_index": index, "content_index": 0}
        yield event(
            "response.output_item.added",
            output_index=index,
            item=_message(turn, "", "in_progress"),
        )
        yield event("response.content_part.added", **where, part=_text_part(""))
        for piece in answer.pieces:
            yield event("response.output_text.delta", True, **where, delta=piece, logprobs=[])
        text = answer.full_text
        yield event("response.output_text.done", **where, text=text, logprobs=[])
        yield event("response.content_part.done", **where, part=_text_part(text))
        yield event(
            "response.output_item.done",
            output_index=index,
            item=_message(turn, text, "completed"),
        )
        index += 1
    for i, call in enumerate(answer.tool_calls):
        item_id = turn.ident("fc_", i, size=48)
        yield event(
            "response.output_item.added",
            output_index=index,
            item=_function_call(turn, i, call, "", "in_progress"),
        )
        for fragment in call.fragments:
            yield event(
                "response.function_call_arguments.delta",
                True,
                item_id=item_id,
                output_index=index,
                delta=fragment,
            )
        yield event(
            "response.function_call_arguments.done",
            item_id=item_id,
            output_index=index,
            name=call.name,
            arguments=call.arguments_json,
        )
        yield event(
            "response.output_item.done",
            output_index=index,
            item=_function_call(turn, i, call, call.arguments_json, "completed"),
        )
        index += 1
    yield event("response.completed", response=response(answer, turn))
