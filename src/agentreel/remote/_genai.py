"""Chat payloads in the shape of the GenAI conventions' ``gen_ai.*.messages``.

A recorded step keeps its payload exactly as the program had it (an OpenAI
request, an Anthropic response, the captured HTTP exchange of an integration).
The conventions want one vendor-neutral form: a list of ``{"role", "parts"}``
where a part is ``{"type": "text", "content"}``, ``{"type": "tool_call", "id",
"name", "arguments"}`` or ``{"type": "tool_call_response", "id", "response"}``,
and output messages carry a ``finish_reason``. Anything we do not recognise as
a chat gives ``None``: the exact payload still travels in
``agentreel.step.input`` / ``agentreel.step.output``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


def input_messages(payload: Any) -> list[dict[str, Any]] | None:
    """The request's conversation, or None if ``payload`` is not a chat request."""
    payload = _unwrap(payload)
    system: Any = None
    if isinstance(payload, Mapping):
        system = payload.get("system")  # Anthropic keeps the system prompt apart
        payload = payload.get("messages")
    if not isinstance(payload, list) or not payload:
        return None
    if not all(isinstance(m, Mapping) and isinstance(m.get("role"), str) for m in payload):
        return None
    out = [_message(m) for m in payload]
    if system:
        out.insert(0, {"role": "system", "parts": _parts(system)})
    return out


def output_messages(payload: Any) -> list[dict[str, Any]] | None:
    """The model's answer, or None if ``payload`` is not a chat response."""
    payload = _unwrap(payload)
    if isinstance(payload, str):
        return [{"role": "assistant", "parts": _parts(payload), "finish_reason": "stop"}]
    if not isinstance(payload, Mapping):
        return None
    choices = payload.get("choices")
    if isinstance(choices, list):  # OpenAI chat completion
        out = []
        for choice in choices:
            if isinstance(choice, Mapping) and isinstance(choice.get("message"), Mapping):
                message = _message(choice["message"])
                message["finish_reason"] = str(choice.get("finish_reason") or "stop")
                out.append(message)
        return out or None
    if isinstance(payload.get("role"), str):  # one message (Anthropic, or a plain dict)
        message = _message(payload)
        message["finish_reason"] = str(payload.get("stop_reason") or "stop")
        return [message]
    return None


def _unwrap(payload: Any) -> Any:
    # An integration's step holds the HTTP exchange: the request's JSON body,
    # or the response record whose body is the response text.
    if isinstance(payload, Mapping) and "body" in payload:
        body = payload["body"]
        if isinstance(body, str):
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                return None
        return body
    return payload


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    role = str(message.get("role"))
    parts = _parts(message.get("content"))
    if role == "tool" and "tool_call_id" in message:
        parts = [
            {
                "type": "tool_call_response",
                "id": message["tool_call_id"],
                "response": message.get("content"),
            }
        ]
    for call in message.get("tool_calls") or ():
        if isinstance(call, Mapping):
            function = call.get("function")
            function = function if isinstance(function, Mapping) else {}
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id"),
                    "name": function.get("name"),
                    "arguments": _arguments(function.get("arguments")),
                }
            )
    return {"role": role, "parts": parts}


def _parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if not isinstance(content, list):
        return [{"type": "text", "content": orjson.dumps(content).decode()}]
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "content": block})
        elif not isinstance(block, Mapping):
            continue
        elif block.get("type") == "text":
            parts.append({"type": "text", "content": block.get("text")})
        elif block.get("type") == "tool_use":
            parts.append(
                {
                    "type": "tool_call",
                    "id": block.get("id"),
                    "name": block.get("name"),
                    "arguments": block.get("input"),
                }
            )
        elif block.get("type") == "tool_result":
            parts.append(
                {
                    "type": "tool_call_response",
                    "id": block.get("tool_use_id"),
                    "response": block.get("content"),
                }
            )
        else:  # images, audio, ...: the conventions allow any typed part
            parts.append(dict(block))
    return parts


def _arguments(arguments: Any) -> Any:
    # OpenAI sends tool arguments as a JSON string; the conventions want the object.
    if isinstance(arguments, str):
        try:
            return orjson.loads(arguments)
        except orjson.JSONDecodeError:
            return arguments
    return arguments
