"""Chat payloads read as a conversation: who said what, tool calls included.

Model-call inputs are usually ``{"messages": [{"role": ..., "content": ...}]}``
in the OpenAI or Anthropic shape (content as a string or a list of parts,
tool calls as ``tool_calls`` or ``tool_use`` parts). Outputs are a message, or
an OpenAI completion with ``choices``. Anything else is not a conversation and
is shown as JSON only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

__all__ = ["conversation", "render_conversation"]

_ROLE_STYLE = {"system": "magenta", "user": "cyan", "assistant": "green", "tool": "yellow"}


def _is_message(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("role"), str)


def conversation(value: Any) -> list[Mapping[str, Any]] | None:
    """The messages ``value`` holds, or None if it is not a chat payload."""
    if isinstance(value, Mapping):
        messages = value.get("messages")
        if isinstance(messages, list) and messages and all(_is_message(m) for m in messages):
            system = value.get("system")
            # Anthropic passes the system prompt beside the messages, not among them.
            prefix = [{"role": "system", "content": system}] if system else []
            return [*prefix, *messages]
        if _is_message(value) and "content" in value:
            return [value]
        choices = value.get("choices")
        if isinstance(choices, list) and choices:
            found = [c.get("message") for c in choices if isinstance(c, Mapping)]
            if found and all(_is_message(m) for m in found):
                return [m for m in found if m is not None]
    return None


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _part(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, Mapping):
        return _json(part)
    kind = part.get("type")
    if kind == "text" and isinstance(part.get("text"), str):
        return str(part["text"])
    if kind == "tool_use":
        return f"→ calls {part.get('name')}({_json(part.get('input', {}))})"
    if kind == "tool_result":
        return f"← result for {part.get('tool_use_id')}: {_content(part.get('content'))}"
    return f"[{kind or 'part'}]"


def _content(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_part(p) for p in content)
    return _json(content)


def _tool_calls(message: Mapping[str, Any]) -> list[str]:
    lines = []
    for call in message.get("tool_calls") or ():
        if not isinstance(call, Mapping):
            continue
        function = call.get("function")
        if isinstance(function, Mapping):
            arguments = function.get("arguments", "")
            if not isinstance(arguments, str):
                arguments = _json(arguments)
            lines.append(f"→ calls {function.get('name')}({arguments})")
    return lines


def render_conversation(messages: list[Mapping[str, Any]]) -> RenderableType:
    """One block per message: the role (and tool call id or name), then the text."""
    blocks: list[RenderableType] = []
    for message in messages:
        role = str(message.get("role"))
        label = Text(role, style=f"bold {_ROLE_STYLE.get(role, 'white')}")
        for key in ("name", "tool_call_id"):
            if isinstance(message.get(key), str):
                label.append(f" ({message[key]})", style="dim")
        body = "\n".join(
            line for line in (_content(message.get("content")), *_tool_calls(message)) if line
        )
        blocks.append(label)
        # Text, never markup: prompts are hostile content and must print inert.
        blocks.append(Padding(Text(body or "(empty)"), (0, 0, 0, 2)))
    return Group(*blocks)
