"""Checked, typed access to the fields of one record.

Every problem becomes a :class:`Problem` carrying the record's line, which the
reader turns into one :class:`~agentreel.errors.CorruptReelFile` message.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from ._migrate import Record
from ._payloads import is_digest

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")


class Problem(Exception):
    """What is wrong with a record, and on which line; the reader adds the file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class Fields:
    """Typed access to one record's fields, remembering which were read."""

    def __init__(self, record: Record, what: str) -> None:
        self.data = record.data
        self.line = record.line
        self.what = what
        self._seen = {"type"}

    def problem(self, message: str) -> Problem:
        return Problem(self.line, f"{self.what} record {message}")

    def required(self, name: str, check: Callable[[Any], bool], expected: str) -> Any:
        if name not in self.data:
            raise self.problem(f"lacks the required field {name!r}")
        return self.optional(name, check, expected, None)

    def optional(self, name: str, check: Callable[[Any], bool], expected: str, default: Any) -> Any:
        self._seen.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        if not check(value):
            raise self.problem(f"field {name!r} must be {expected}, not {json_type(value)}")
        return value

    def enum(self, name: str, cls: type[_E], default: _E | None = None) -> _E:
        allowed = " or ".join(repr(str(m)) for m in cls)
        if default is None:
            text = self.required(name, is_str, allowed)
        else:
            text = self.optional(name, is_str, allowed, str(default))
        try:
            return cls(text)
        except ValueError:
            raise self.problem(f"field {name!r} must be {allowed}, not {text!r}") from None

    def nested(self, name: str, what: str, build: Callable[[Fields], _T]) -> _T | None:
        value = self.optional(name, is_object_or_null, "an object or null", None)
        if value is None:
            return None
        inner = Fields(Record(line=self.line, data=value), f"{self.what} {what}")
        result = build(inner)
        inner.done()
        return result

    def done(self) -> None:
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            raise self.problem(f"has unknown field {unknown[0]!r}")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def is_str(v: Any) -> bool:
    return isinstance(v, str)


def is_nonempty_str(v: Any) -> bool:
    return isinstance(v, str) and v != ""


def is_str_or_null(v: Any) -> bool:
    return v is None or isinstance(v, str)


def is_int(v: Any) -> bool:
    # JSON true/false arrive as bool, which Python counts as int.
    return isinstance(v, int) and not isinstance(v, bool)


def is_int_or_null(v: Any) -> bool:
    return v is None or is_int(v)


def is_positive_int(v: Any) -> bool:
    return is_int(v) and v >= 1


def is_positive_int_or_null(v: Any) -> bool:
    return v is None or is_positive_int(v)


def is_count(v: Any) -> bool:
    return is_int(v) and v >= 0


def is_number_or_null(v: Any) -> bool:
    return v is None or (isinstance(v, int | float) and not isinstance(v, bool))


def is_object(v: Any) -> bool:
    return isinstance(v, dict)


def is_object_or_null(v: Any) -> bool:
    return v is None or isinstance(v, dict)


def is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(t, str) for t in v)


def is_digest_or_null(v: Any) -> bool:
    return v is None or is_digest(v)


def is_anything(v: Any) -> bool:
    return True
