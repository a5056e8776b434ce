"""Helpers for attribute values: embedded JSON, and flattened lists.

OpenInference and OpenLLMetry flatten lists of messages into attributes such
as ``llm.input_messages.0.message.role``; :func:`take_tree` pops such keys
and rebuilds the nesting, and :func:`as_list` turns ``{"0": ..., "1": ...}``
back into a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from agentreel.model import JSON

__all__ = ["as_list", "as_str", "int_of", "parse_json", "prefixes_in", "take_tree"]


def parse_json(value: JSON) -> JSON:
    """``value`` parsed if it is a string holding a JSON array or object; else as is."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def as_str(value: JSON) -> str | None:
    return value if isinstance(value, str) and value else None


def int_of(value: JSON) -> int | None:
    """A token count or number: ints as they are, numeric strings parsed, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def prefixes_in(attrs: Mapping[str, JSON], prefixes: tuple[str, ...]) -> set[str]:
    """Which of ``prefixes`` (each ending in ".") begin a key of ``attrs``, in one pass."""
    found: set[str] = set()
    for key in attrs:
        if key.startswith(prefixes):
            found.update(p for p in prefixes if key.startswith(p))
    return found


def take_tree(attrs: dict[str, JSON], prefix: str) -> dict[str, Any]:
    """Pop every ``prefix.a.b`` key of ``attrs`` into ``{"a": {"b": value}}``."""
    dotted = prefix + "."
    keys = [k for k in attrs if k.startswith(dotted)]
    tree: dict[str, Any] = {}
    cut = len(dotted)
    for key in keys:
        value = attrs.pop(key)
        node = tree
        *path, last = key[cut:].split(".")
        for part in path:
            child = node.get(part)
            if not isinstance(child, dict):
                # A leaf and a deeper key under one name: keep the deeper one.
                child = node[part] = {}
            node = child
        if not isinstance(node.get(last), dict):
            node[last] = value
    return tree


def as_list(node: Any) -> list[Any]:
    """``{"0": a, "1": b}`` (numbered keys, any order) as ``[a, b]``; a list as is."""
    if isinstance(node, list):
        return node
    if not isinstance(node, Mapping):
        return []
    numbered = [(int(k), v) for k, v in node.items() if k.isdigit()]
    numbered.sort(key=lambda kv: kv[0])
    return [v for _, v in numbered]
