"""What a model call asked and answered, read from the vendors' own payload shapes.

Requests: OpenAI chat (``messages``, ``tools[].function``), OpenAI Responses
(``input``, ``instructions``, ``tools[]`` with ``name``), Anthropic
(``system`` beside ``messages``, ``tools[].input_schema``), also nested one
level down (a wrapper that takes ``request=...``). Answers: an OpenAI chat
completion, a Responses result, an Anthropic message, a bare assistant
message, or plain text. Anything else reads as unknown (None), never as an
error: foreign instrumentations record what they like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import orjson

from agentreel.model import JSON

from ._payloads import Payloads

__all__ = ["ModelReply", "ModelRequest", "ToolCallMade", "read_reply", "read_request", "text_of"]

_REQUEST_KEYS = frozenset(
    {"messages", "input", "system", "instructions", "tools", "functions", "prompt"}
)
_INSTRUCTION_ROLES = frozenset({"system", "developer"})
_USER_ROLES = frozenset({"user", "human"})


# These three are NamedTuples rather than frozen dataclasses: one of each is
# made per model call, and building a frozen dataclass costs several times
# more (measured: 1.9 µs against 0.4 µs for ToolCallMade), which showed in
# analysing a thousand sessions. They are internal: findings carry JSON.


class ToolCallMade(NamedTuple):
    """A tool call in a model's answer.

    ``arguments`` is the parsed JSON (OpenAI sends a string, Anthropic an
    object); ``malformed`` says the string was not JSON, ``raw`` keeps it.
    """

    name: str
    arguments: JSON = None
    raw: str | None = None
    call_id: str | None = None
    malformed: bool = False


class ModelRequest(NamedTuple):
    """The parts of a model request the detectors read.

    ``instructions``: system and developer texts, in order. ``task``: the
    first user message. ``opening``: who speaks first after the
    instructions: ``"user"`` (a prompt), ``"assistant"``, ``"tool"`` (a tool
    result), or None (no messages). ``tools``: name → JSON schema (None when
    a tool has none) of the tools offered; ``None`` when the request does
    not say. ``messages``: the raw list node, for :meth:`Payloads.fresh`.
    """

    instructions: tuple[str, ...] = ()
    task: str | None = None
    opening: str | None = None
    tools: Mapping[str, JSON] | None = None
    messages: Any = None


class ModelReply(NamedTuple):
    """A model's answer: its text and the tool calls it asked for."""

    text: str = ""
    tool_calls: tuple[ToolCallMade, ...] = ()


def text_of(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, str):
                    parts.append(text)
                elif isinstance(part.get("content"), str | list):  # an Anthropic tool_result
                    parts.append(text_of(part["content"]))
        return "\n".join(parts)
    return ""


def _request_dict(root: Any) -> dict[str, Any] | None:
    if not isinstance(root, dict):
        return None
    if not _REQUEST_KEYS.isdisjoint(root):
        return root
    for value in root.values():
        if isinstance(value, dict) and not _REQUEST_KEYS.isdisjoint(value):
            return value
    return None


#: Items of a Responses API ``input`` that are not messages, by the role they play.
_ITEM_ROLES = {"function_call": "assistant", "function_call_output": "tool"}


def _role(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    role = message.get("role", message.get("type"))
    if not isinstance(role, str):
        return None
    return _ITEM_ROLES.get(role, role)


def read_request(payloads: Payloads, ref: str) -> ModelRequest | None:
    """The request recorded as an ``llm`` step's input, or None if it has no known shape."""
    request = _request_dict(payloads.raw(ref))
    if request is None:
        return None
    instructions: list[str] = []
    task: str | None = None
    opening: str | None = None
    system = payloads.build(request.get("system"))
    if system is not None:
        text = text_of(system)
        if text:
            instructions.append(text)
    extra = request.get("instructions")
    if isinstance(extra, str) and extra:
        instructions.append(extra)
    messages = request.get("messages", request.get("input"))
    if isinstance(messages, str):
        task, opening, messages = messages, "user", None
    elif messages is not None:
        # The calls of a conversation share their head: read each head once.
        head = payloads.head_items(messages)
        said, task, opening = payloads.remember(head, lambda: _read_head(payloads, head))
        instructions += said
    prompt = request.get("prompt")
    if task is None and isinstance(prompt, str):
        task, opening = prompt, opening or "user"
    tools: dict[str, JSON] | None = None
    for key in ("tools", "functions"):
        if key not in request:
            continue
        # Agents send the same list with every call: read each stored list once.
        found = payloads.derive(request[key], _tools)
        if found is not None:
            tools = {**(tools or {}), **found}
    return ModelRequest(
        instructions=tuple(instructions),
        task=task,
        opening=opening,
        tools=tools,
        messages=messages,
    )


def _read_head(payloads: Payloads, head: list[Any]) -> tuple[list[str], str | None, str | None]:
    """(instructions, first user message, who opens) of a conversation's first messages."""
    instructions: list[str] = []
    opening: str | None = None
    for item in head:
        message = payloads.build(item)
        role = _role(message)
        if role in _INSTRUCTION_ROLES:
            text = text_of(message.get("content"))
            if text:
                instructions.append(text)
            continue
        if role in _USER_ROLES and _tool_results_only(message.get("content")):
            role = "tool"
        if opening is None:
            opening = role
        if role in _USER_ROLES:
            # Instructions come before the first prompt.
            return instructions, text_of(message.get("content")), opening
    return instructions, None, opening


def _tool_results_only(content: Any) -> bool:
    """Whether a user message only carries tool results (Anthropic's ``tool_result`` parts)."""
    return (
        isinstance(content, list)
        and bool(content)
        and all(isinstance(p, dict) and p.get("type") == "tool_result" for p in content)
    )


def _tools(declared: Any) -> dict[str, JSON] | None:
    """Tools by name, from a declared list; None for a value that is not a list.

    ``tools=None`` offers none; anything else that is not a list says nothing
    we can read.
    """
    found: dict[str, JSON] = {}
    if declared is None:
        return found
    if not isinstance(declared, list):
        return None
    for tool in declared:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function")
        spec: dict[str, Any] = function if isinstance(function, dict) else tool
        name = spec.get("name")
        if not isinstance(name, str):
            continue
        schema = spec.get("parameters", spec.get("input_schema"))
        found[name] = schema if isinstance(schema, dict) else None
    return found


def _parse_arguments(name: str, arguments: Any, call_id: Any) -> ToolCallMade:
    cid = call_id if isinstance(call_id, str) else None
    if isinstance(arguments, str):
        try:
            parsed = orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:
            return ToolCallMade(name=name, raw=arguments, call_id=cid, malformed=True)
        return ToolCallMade(name=name, arguments=parsed, raw=arguments, call_id=cid)
    return ToolCallMade(name=name, arguments=arguments, call_id=cid)


def _openai_message(message: Mapping[str, Any]) -> ModelReply:
    calls: list[ToolCallMade] = []
    for call in message.get("tool_calls") or ():
        if isinstance(call, dict) and isinstance(call.get("function"), dict):
            function = call["function"]
            name = function.get("name")
            if isinstance(name, str):
                calls.append(_parse_arguments(name, function.get("arguments"), call.get("id")))
    legacy = message.get("function_call")
    if isinstance(legacy, dict) and isinstance(legacy.get("name"), str):
        calls.append(_parse_arguments(legacy["name"], legacy.get("arguments"), None))
    return ModelReply(text=text_of(message.get("content")), tool_calls=tuple(calls))


def _blocks(blocks: Sequence[Any]) -> ModelReply:
    """Anthropic content blocks, or the items of a Responses ``output``."""
    texts: list[str] = []
    calls: list[ToolCallMade] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        name = block.get("name")
        if kind == "tool_use" and isinstance(name, str):
            calls.append(_parse_arguments(name, block.get("input"), block.get("id")))
        elif kind == "function_call" and isinstance(name, str):
            cid = block.get("call_id", block.get("id"))
            calls.append(_parse_arguments(name, block.get("arguments"), cid))
        elif kind == "message":
            texts.append(text_of(block.get("content")))
        elif isinstance(block.get("text"), str):
            texts.append(block["text"])
    return ModelReply(text="\n".join(t for t in texts if t), tool_calls=tuple(calls))


def read_reply(output: Any) -> ModelReply | None:
    """The answer recorded as an ``llm`` step's output, or None if it has no known shape."""
    if isinstance(output, str):
        return ModelReply(text=output)
    if not isinstance(output, dict):
        return None
    choices = output.get("choices")
    if isinstance(choices, list):
        first = choices[0] if choices else None
        if isinstance(first, dict) and isinstance(first.get("message"), dict):
            return _openai_message(first["message"])
        if isinstance(first, dict) and isinstance(first.get("text"), str):
            return ModelReply(text=first["text"])
        return None
    if isinstance(output.get("output"), list):
        return _blocks(output["output"])
    if isinstance(output.get("content"), list) and (
        output.get("type") == "message" or output.get("role") == "assistant"
    ):
        return _blocks(output["content"])
    if output.get("role") == "assistant":
        return _openai_message(output)
    for key in ("output_text", "text", "content"):
        if isinstance(output.get(key), str):
            return ModelReply(text=output[key])
    return None
