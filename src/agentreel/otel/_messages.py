"""Conversations out of span attributes and events, in one shape: OpenAI chat messages.

Whatever convention recorded them, messages come out as
``{"role", "content", "tool_calls"?, "tool_call_id"?, "name"?}`` with tool
calls as ``{"id", "type": "function", "function": {"name", "arguments"}}``
(arguments as JSON text), which is the shape agentreel's reports, detectors
and replay already read. Sources, first found wins:

- GenAI conventions (current): ``gen_ai.system_instructions``,
  ``gen_ai.input.messages``, ``gen_ai.output.messages`` (JSON, messages of
  typed ``parts``), also inside a ``gen_ai.client.inference.operation.details`` event;
- OpenInference: ``llm.input_messages.N.message.*``, ``llm.output_messages.N.message.*``;
- OpenLLMetry: ``gen_ai.prompt.N.*``, ``gen_ai.completion.N.*``;
- GenAI conventions (older), as span events: ``gen_ai.{system,user,assistant,tool}.message``,
  ``gen_ai.choice``, ``gen_ai.content.prompt`` / ``gen_ai.content.completion``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from agentreel.model import JSON

from ._flat import as_list, as_str, parse_json, prefixes_in, take_tree
from ._span import Event

__all__ = ["Conversation", "conversation", "tools_declared"]

Message = dict[str, Any]

_ROLE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_DETAILS_EVENT = "gen_ai.client.inference.operation.details"
#: Prefixes of the flattened message lists (OpenInference, OpenLLMetry).
_FLAT = ("llm.input_messages.", "llm.output_messages.", "gen_ai.prompt.", "gen_ai.completion.")
_TOOLS = ("llm.tools.", "llm.request.functions.")


class Conversation:
    """The messages a model call was given and answered, and the events left over."""

    __slots__ = ("input", "output", "rest")

    def __init__(self, input: list[Message], output: list[Message], rest: list[Event]) -> None:
        self.input = input
        self.output = output
        self.rest = rest


def conversation(attrs: dict[str, JSON], events: list[Event]) -> Conversation:
    """Take the message attributes out of ``attrs`` and the message events out of ``events``."""
    details = next((e for e in events if e.name == _DETAILS_EVENT), None)
    if details is not None:
        for key, value in details.attributes.items():
            attrs.setdefault(key, value)
    system = _genai_system(attrs.pop("gen_ai.system_instructions", None))
    flat = prefixes_in(attrs, _FLAT)
    found_in = [_genai_list(attrs.pop("gen_ai.input.messages", None))]
    found_out = [_genai_list(attrs.pop("gen_ai.output.messages", None))]
    if flat:
        found_in.append(_oi_list(_tree(attrs, "llm.input_messages.", flat)))
        found_in.append(_traceloop_list(_tree(attrs, "gen_ai.prompt.", flat)))
        found_out.append(_oi_list(_tree(attrs, "llm.output_messages.", flat)))
        found_out.append(_traceloop_list(_tree(attrs, "gen_ai.completion.", flat)))
    rest = [e for e in events if e is not details]
    if not any(found_in) and not any(found_out):
        ev_in, ev_out, rest = _from_events(rest)
        found_in.append(ev_in)
        found_out.append(ev_out)
    messages_in = next((m for m in found_in if m), [])
    if system and not any(m.get("role") == "system" for m in messages_in):
        messages_in = [{"role": "system", "content": system}, *messages_in]
    return Conversation(messages_in, next((m for m in found_out if m), []), rest)


def tools_declared(attrs: dict[str, JSON]) -> list[Any]:
    """The tools offered to the model, taken out of ``attrs`` (first convention found)."""
    genai = parse_json(attrs.pop("gen_ai.tool.definitions", None))
    flat = prefixes_in(attrs, _TOOLS)
    oi = [
        parse_json(t.get("tool", {}).get("json_schema"))
        for t in as_list(_tree(attrs, "llm.tools.", flat))
        if isinstance(t, dict) and isinstance(t.get("tool"), dict)
    ]
    functions = []
    for f in as_list(_tree(attrs, "llm.request.functions.", flat)):
        if isinstance(f, dict):
            function = {k: parse_json(v) for k, v in f.items()}
            functions.append({"type": "function", "function": function})
    if isinstance(genai, list) and genai:
        return genai
    return oi or functions


def _tree(attrs: dict[str, JSON], prefix: str, present: set[str]) -> dict[str, Any]:
    return take_tree(attrs, prefix[:-1]) if prefix in present else {}


# -- GenAI conventions (current): messages of typed parts --------------------------


def _genai_system(value: JSON) -> str | list[Any] | None:
    value = parse_json(value)
    if isinstance(value, str):
        return value or None
    if isinstance(value, list) and value:
        content = _content_of([p for p in value if isinstance(p, dict)])
        return content if content else None
    return None


def _genai_list(value: JSON) -> list[Message]:
    value = parse_json(value)
    if not isinstance(value, list):
        return []
    out: list[Message] = []
    for m in value:
        if isinstance(m, dict):
            if "parts" in m:
                _genai_message(m, out)
            else:
                out.append(_chat_message(m))
    return out


def _genai_message(m: Mapping[str, Any], out: list[Message]) -> None:
    """Append the chat messages of GenAI message ``m`` (one, plus one per tool answer)."""
    role = m.get("role")
    if not isinstance(role, str) or not role:
        role = "user"
    parts = m.get("parts") or ()
    if type(parts) is list and len(parts) == 1 and isinstance(parts[0], dict):
        # Nearly every message has one part; a conversation resent on every
        # call has thousands of them, so that case is spelt out.
        p = parts[0]
        kind = p.get("type")
        if kind == "tool_call_response":
            out.append(_answer(p))
            return
        if kind == "tool_call":
            message: Message = {
                "role": role,
                "content": None,
                "tool_calls": [_call(p.get("id"), p.get("name"), p.get("arguments"))],
            }
        elif kind == "text":
            message = {"role": role, "content": _text(p)}
        else:
            message = {"role": role, "content": _content_of([p])}
        if as_str(m.get("name")):
            message["name"] = m["name"]
        out.append(message)
        return
    calls: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    # One pass: a conversation resent on every call has thousands of parts.
    for p in parts:
        if not isinstance(p, dict):
            continue
        kind = p.get("type")
        if kind == "tool_call":
            calls.append(_call(p.get("id"), p.get("name"), p.get("arguments")))
        elif kind == "tool_call_response":
            answers.append(p)
        else:
            other.append(p)
    if other or calls or not answers:
        message = {"role": role, "content": _content_of(other)}
        if calls:
            message["tool_calls"] = calls
        if as_str(m.get("name")):
            message["name"] = m["name"]
        out.append(message)
    out.extend(map(_answer, answers))


def _answer(part: Mapping[str, Any]) -> Message:
    """A tool_call_response part as a tool message."""
    result = part.get("response", part.get("result"))
    return {"role": "tool", "tool_call_id": part.get("id"), "content": result}


def _content_of(parts: list[dict[str, Any]]) -> Any:
    """One text part as a string; several parts, or non-text ones, as a list."""
    if not parts:
        return None
    if len(parts) == 1 and parts[0].get("type") == "text":
        return _text(parts[0])
    return [
        {"type": "text", "text": _text(p)} if p.get("type") == "text" else dict(p) for p in parts
    ]


def _text(part: Mapping[str, Any]) -> Any:
    return part.get("content", part.get("text"))


# -- chat-shaped messages (older GenAI events, gen_ai.prompt JSON) -----------------


def _chat_message(m: Mapping[str, Any], role: str | None = None) -> Message:
    out: Message = {"role": role or as_str(m.get("role")) or "user", "content": m.get("content")}
    calls = parse_json(m.get("tool_calls"))
    if isinstance(calls, list) and calls:
        out["tool_calls"] = [_call_from(c) for c in calls if isinstance(c, dict)]
    for key in ("tool_call_id", "name"):
        if as_str(m.get(key)):
            out[key] = m[key]
    return out


def _call_from(c: Mapping[str, Any]) -> dict[str, Any]:
    function = c.get("function")
    if isinstance(function, dict):
        return _call(c.get("id"), function.get("name"), function.get("arguments"))
    return _call(c.get("id"), c.get("name"), c.get("arguments"))


def _call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    if arguments is not None and not isinstance(arguments, str):
        arguments = orjson.dumps(arguments, option=orjson.OPT_NON_STR_KEYS).decode()
    function = {"name": name, "arguments": arguments if arguments is not None else ""}
    return {"id": call_id, "type": "function", "function": function}


# -- OpenInference: llm.input_messages.N.message.* ----------------------------------


def _oi_list(tree: dict[str, Any]) -> list[Message]:
    out = []
    for node in as_list(tree):
        msg = node.get("message") if isinstance(node, dict) else None
        if isinstance(msg, dict):
            out.append(_oi_message(msg))
    return out


def _oi_message(msg: dict[str, Any]) -> Message:
    content = msg.get("content")
    if content is None and "contents" in msg:
        content = [_oi_part(c.get("message_content")) for c in as_list(msg["contents"])
                   if isinstance(c, dict)]  # fmt: skip
    out: Message = {"role": as_str(msg.get("role")) or "user", "content": content}
    calls = []
    for node in as_list(msg.get("tool_calls")):
        call = node.get("tool_call") if isinstance(node, dict) else None
        if isinstance(call, dict):
            function = call.get("function")
            if not isinstance(function, dict):
                function = {}
            calls.append(_call(call.get("id"), function.get("name"), function.get("arguments")))
    if not calls and as_str(msg.get("function_call_name")):
        calls.append(
            _call(None, msg["function_call_name"], msg.get("function_call_arguments_json"))
        )
    if calls:
        out["tool_calls"] = calls
    for key in ("tool_call_id", "name"):
        if as_str(msg.get(key)):
            out[key] = msg[key]
    return out


def _oi_part(part: Any) -> Any:
    if not isinstance(part, dict):
        return part
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": part.get("text")}
    image = part.get("image")
    if kind == "image" and isinstance(image, dict) and isinstance(image.get("image"), dict):
        return {"type": "image_url", "image_url": {"url": image["image"].get("url")}}
    return dict(part)


# -- OpenLLMetry: gen_ai.prompt.N.*, gen_ai.completion.N.* --------------------------


def _traceloop_list(tree: dict[str, Any]) -> list[Message]:
    out = []
    for node in as_list(tree):
        if not isinstance(node, dict):
            continue
        message = _chat_message({k: v for k, v in node.items() if k != "tool_calls"})
        content = parse_json(message["content"])
        if isinstance(content, list) and all(isinstance(p, dict) and "type" in p for p in content):
            message["content"] = content  # multimodal content, sent as JSON text
        calls = [_call_from(c) for c in as_list(node.get("tool_calls")) if isinstance(c, dict)]
        if calls:
            message["tool_calls"] = calls
        out.append(message)
    return out


# -- GenAI conventions (older): one span event per message --------------------------


def _from_events(events: list[Event]) -> tuple[list[Message], list[Message], list[Event]]:
    messages_in: list[Message] = []
    messages_out: list[Message] = []
    rest: list[Event] = []
    for event in events:
        body = _event_body(event.attributes)
        role = _ROLE_EVENTS.get(event.name)
        if role is not None:
            message = _chat_message(body, role)
            if role == "tool" and "tool_call_id" not in message and as_str(body.get("id")):
                message["tool_call_id"] = body["id"]
            messages_in.append(message)
        elif event.name == "gen_ai.choice":
            inner = parse_json(body.get("message"))
            messages_out.append(_chat_message(inner if isinstance(inner, dict) else body,
                                              "assistant"))  # fmt: skip
        elif event.name == "gen_ai.content.prompt":
            messages_in.extend(_chat_list(event.attributes.get("gen_ai.prompt"), "user"))
        elif event.name == "gen_ai.content.completion":
            messages_out.extend(_chat_list(event.attributes.get("gen_ai.completion"), "assistant"))
        else:
            rest.append(event)
    return messages_in, messages_out, rest


def _event_body(attrs: Mapping[str, JSON]) -> Mapping[str, Any]:
    for key in ("gen_ai.event.content", "event.body", "body"):
        body = parse_json(attrs.get(key))
        if isinstance(body, dict):
            return body
    return attrs


def _chat_list(value: JSON, role: str) -> list[Message]:
    """A JSON list of chat messages; plain text is one message in ``role``."""
    value = parse_json(value)
    if isinstance(value, list):
        return [_chat_message(m) for m in value if isinstance(m, dict)]
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    return []
