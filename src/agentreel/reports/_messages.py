"""Reading model-call payloads: the tool calls an answer asked for, the context a request held.

Recorded payloads come in the vendors' own shapes. Answers: an OpenAI chat
completion (``choices[].message.tool_calls[].function``, arguments as a JSON
string), an OpenAI Responses answer (``output[]`` items of type
``function_call``), an Anthropic message (``content[]`` parts of type
``tool_use`` with ``input``), or a bare assistant message of either kind.
Requests: ``messages`` (OpenAI, or Anthropic with ``system`` beside them) or
``input`` with ``instructions`` (Responses). Anything else yields nothing,
never an error: foreign instrumentations record what they like.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ._text import compact_json

__all__ = [
    "ToolCallSeen",
    "content_text",
    "request_messages",
    "tool_call_names",
    "tool_calls_in",
    "tools_offered",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCallSeen:
    """One tool call found in a model's answer; ``arguments`` parsed from JSON when it is."""

    id: str | None
    name: str
    arguments: Any


def _parsed(arguments: Any) -> Any:
    if isinstance(arguments, str | bytes):
        try:
            return orjson.loads(arguments)
        except orjson.JSONDecodeError:
            return arguments
    return arguments


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _from_message(message: Mapping[str, Any]) -> Iterator[ToolCallSeen]:
    for call in message.get("tool_calls") or ():
        if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
            function = call["function"]
            yield ToolCallSeen(
                id=_str_or_none(call.get("id")),
                name=str(function.get("name")),
                arguments=_parsed(function.get("arguments")),
            )
    content = message.get("content")
    if isinstance(content, list):
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "tool_use":
                yield ToolCallSeen(
                    id=_str_or_none(part.get("id")),
                    name=str(part.get("name")),
                    arguments=part.get("input"),
                )


def tool_calls_in(output: Any) -> list[ToolCallSeen]:
    """Every tool call that a recorded model answer asked for, in order."""
    if not isinstance(output, Mapping):
        return []
    found: list[ToolCallSeen] = []
    choices = output.get("choices")
    if isinstance(choices, list):
        for choice in choices:
            if isinstance(choice, Mapping) and isinstance(choice.get("message"), Mapping):
                found.extend(_from_message(choice["message"]))
    items = output.get("output")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping) and item.get("type") == "function_call":
                found.append(
                    ToolCallSeen(
                        id=_str_or_none(item.get("call_id")),
                        name=str(item.get("name")),
                        arguments=_parsed(item.get("arguments")),
                    )
                )
    found.extend(_from_message(output))
    return found


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, Mapping):
        kind = part.get("type")
        if isinstance(part.get("text"), str):
            return str(part["text"])
        if kind == "tool_use":
            return f"[calls {part.get('name')}({compact_json(part.get('input'))})]"
        if kind == "tool_result":
            return content_text(part.get("content"))
        return f"[{kind or 'part'}]"
    return compact_json(part)


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or a list of parts joined by lines."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(text for text in (_part_text(p) for p in content) if text)
    return _part_text(content)


def _is_message(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("role"), str)


def request_messages(request: Any) -> list[Mapping[str, Any]] | None:
    """The messages a model request held, a separate system prompt first; None if not a chat."""
    if not isinstance(request, Mapping):
        return None
    listed = request.get("messages")
    system = request.get("system")
    if not isinstance(listed, list):
        listed = request.get("input")
        system = request.get("instructions")
        if isinstance(listed, str):
            listed = [{"role": "user", "content": listed}]
    if not isinstance(listed, list):
        return None
    messages: list[Mapping[str, Any]] = []
    for item in listed:
        if _is_message(item):
            messages.append(item)
        elif isinstance(item, Mapping) and item.get("type") == "function_call":
            # Responses API tool traffic, put in the chat shape the rest reads.
            function = {"name": item.get("name"), "arguments": item.get("arguments")}
            call = {"id": item.get("call_id"), "function": function}
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif isinstance(item, Mapping) and item.get("type") == "function_call_output":
            output = item.get("output")
            messages.append(
                {"role": "tool", "tool_call_id": item.get("call_id"), "content": output}
            )
    if system:
        messages.insert(0, {"role": "system", "content": system})
    return messages or None


def tools_offered(request: Any) -> list[str]:
    """Names of the tools a model request declared (OpenAI, Responses or Anthropic shape)."""
    if not isinstance(request, Mapping) or not isinstance(request.get("tools"), list):
        return []
    names: list[str] = []
    for tool in request["tools"]:
        if not isinstance(tool, Mapping):
            continue
        function = tool.get("function")
        name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
        if isinstance(name, str):
            names.append(name)
    return names


def tool_call_names(messages: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Call id → tool name, from the assistant messages of a conversation."""
    names: dict[str, str] = {}
    for message in messages:
        for call in _from_message(message):
            if call.id is not None:
                names[call.id] = call.name
    return names
