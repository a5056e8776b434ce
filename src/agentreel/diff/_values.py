"""A structural diff of two JSON values, as a list of changed paths."""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import orjson

from agentreel.model import JSON
from agentreel.payloads import dumps

from ._align import Keys, align
from ._normalise import masked_equal

__all__ = ["LONG_TEXT", "FieldChange", "diff_values", "text_diff"]

#: Strings longer than this (or with a line break) get a unified diff.
LONG_TEXT = 80

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Keys that say what kind of object a list item is (a message's role, a block's type).
_TAGS = ("role", "type", "name")


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldChange:
    """One difference between two values.

    ``path`` names where it is: ``"input.messages[3].content"``; a key that is
    not an identifier is written ``["like this"]``, and ``""`` is the whole
    value. A list index is the item's position in ``before``, except for an
    added item, which has no position there: its index is in ``after``.
    ``change`` is ``"added"`` (``before`` is None), ``"removed"`` (``after``
    is None) or ``"changed"``. ``text_diff`` is a unified diff when both sides
    are strings and one of them is long or has several lines.
    """

    path: str
    before: JSON
    after: JSON
    text_diff: str | None = None
    change: Literal["added", "removed", "changed"] = "changed"


def diff_values(before: JSON, after: JSON, path: str = "") -> tuple[FieldChange, ...]:
    """The differences between two JSON values, in document order.

    Objects are compared key by key. Lists are aligned first, so one item
    inserted into a conversation is one ``"added"`` change, not a change of
    every later message; an item replaced by one of the same kind (a message
    of the same role, a block of the same type) is compared inside. Numbers
    compare by value (``1 == 1.0``), but ``true`` is not ``1``. A recorded
    secret mask (``"[REDACTED]"``) matches whatever text it may hide.
    """
    out: list[FieldChange] = []
    _diff(before, after, path, out)
    return tuple(out)


def text_diff(before: str, after: str, *, context: int = 3) -> str:
    """A unified diff of two texts, line by line, without trailing newlines."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "before", "after", n=context, lineterm=""
    )
    return "\n".join(lines)


def _diff(a: JSON, b: JSON, path: str, out: list[FieldChange]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key, value in a.items():
            sub = _member(path, key)
            if key in b:
                _diff(value, b[key], sub, out)
            else:
                out.append(FieldChange(path=sub, before=value, after=None, change="removed"))
        for key, value in b.items():
            if key not in a:
                out.append(
                    FieldChange(path=_member(path, key), before=None, after=value, change="added")
                )
        return
    if isinstance(a, list) and isinstance(b, list):
        keys_a, keys_b = [_keys(v) for v in a], [_keys(v) for v in b]
        for i, j in align(keys_a, keys_b):
            if i is not None and j is not None:
                if keys_a[i][0] != keys_b[j][0]:
                    _diff(a[i], b[j], f"{path}[{i}]", out)
            elif i is not None:
                out.append(
                    FieldChange(path=f"{path}[{i}]", before=a[i], after=None, change="removed")
                )
            elif j is not None:
                out.append(
                    FieldChange(path=f"{path}[{j}]", before=None, after=b[j], change="added")
                )
        return
    if not _equal(a, b):
        long = isinstance(a, str) and isinstance(b, str) and _is_long(a, b)
        shown = text_diff(a, b) if long else None
        out.append(FieldChange(path=path, before=a, after=b, text_diff=shown))


def _equal(a: JSON, b: JSON) -> bool:
    if isinstance(a, str):
        return isinstance(b, str) and masked_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


def _is_long(a: str, b: str) -> bool:
    return max(len(a), len(b)) > LONG_TEXT or "\n" in a or "\n" in b


def _member(path: str, key: object) -> str:
    name = key if isinstance(key, str) else str(key)
    if _IDENTIFIER.fullmatch(name):
        return f"{path}.{name}" if path else name
    return f"{path}[{orjson.dumps(name).decode()}]"


def _keys(value: JSON) -> Keys:
    return dumps(value), _shape(value)


def _shape(value: JSON) -> Hashable:
    if isinstance(value, dict):
        return ("object", *(f"{k}={value[k]}" for k in _TAGS if isinstance(value.get(k), str)))
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else "string"
