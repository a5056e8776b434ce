"""The chat messages a model got, in one shape whatever the vendor's.

A model call's recorded input is usually ``{"messages": [...]}`` in the OpenAI
shape (``tool_calls`` on assistant messages, ``role: tool`` answers) or the
Anthropic one (``system`` beside the messages, content as a list of ``text``,
``tool_use`` and ``tool_result`` parts). The API answers both as a list of
``{"role", "content", "tool_calls"?, "tool_call_id"?, "name"?}`` where
``content`` is text and each tool call is ``{"id", "name", "arguments"}``
(arguments as a JSON string, as OpenAI sends them). Anything else is not a
conversation and gives ``None``; the raw payload is in the answer anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

Message = dict[str, Any]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _openai_call(call: Any) -> dict[str, Any] | None:
    if not isinstance(call, Mapping):
        return None
    function = call.get("function")
    if not isinstance(function, Mapping):
        return None
    arguments = function.get("arguments", "")
    return {"id": call.get("id"), "name": function.get("name"), "arguments": _text(arguments)}


def _message(raw: Mapping[str, Any]) -> list[Message]:
    """One vendor message as one or more normalised messages.

    An Anthropic user message carrying ``tool_result`` parts becomes one
    ``tool`` message per result, as OpenAI would have sent them.
    """
    role = str(raw.get("role"))
    content = raw.get("content")
    calls = [c for c in map(_openai_call, raw.get("tool_calls") or ()) if c is not None]
    texts: list[str] = []
    results: list[Message] = []
    if isinstance(content, list):
        for part in content:
            kind = part.get("type") if isinstance(part, Mapping) else None
            if isinstance(part, str):
                texts.append(part)
            elif kind == "text":
                texts.append(_text(part.get("text", "")))
            elif kind == "tool_use":
                calls.append(
                    {
                        "id": part.get("id"),
                        "name": part.get("name"),
                        "arguments": _text(part.get("input", {})),
                    }
                )
            elif kind == "tool_result":
                inner = part.get("content")
                body = _message({"role": "tool", "content": inner})[0]["content"]
                results.append(
                    {"role": "tool", "content": body, "tool_call_id": part.get("tool_use_id")}
                )
            else:
                texts.append(f"[{kind or 'part'}]")
    elif content is not None:
        texts.append(_text(content))
    out: list[Message] = []
    if texts or calls or not results:
        message: Message = {"role": role, "content": "\n".join(texts)}
        if calls:
            message["tool_calls"] = calls
        for key in ("tool_call_id", "name"):
            if isinstance(raw.get(key), str):
                message[key] = raw[key]
        out.append(message)
    return out + results


def _is_message(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("role"), str)


def chat_messages(value: Any) -> list[Message] | None:
    """The conversation in a model call's input, or ``None`` if it holds none."""
    if not isinstance(value, Mapping):
        return None
    messages = value.get("messages")
    if not (isinstance(messages, list) and messages and all(map(_is_message, messages))):
        return None
    out: list[Message] = []
    system = value.get("system")
    if system:
        # Anthropic passes the system prompt beside the messages, not among them.
        out.extend(_message({"role": "system", "content": system}))
    for raw in messages:
        out.extend(_message(raw))
    return out
