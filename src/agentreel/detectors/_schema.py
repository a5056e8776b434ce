"""Checking tool-call arguments against the JSON schema a tool was declared with.

Function-calling schemas use a small part of JSON Schema (OpenAI's strict
mode allows little more), and the recorder's only dependency is orjson, so
this checks that part rather than pulling in a full validator: ``type``
(one or a list), ``properties``, ``required``, ``additionalProperties``
(boolean or schema), ``items``, ``enum``, ``const``, ``anyOf``/``oneOf``/
``allOf``, ``minimum``/``maximum`` (and exclusive forms), ``minLength``/
``maxLength``, ``pattern``, ``minItems``/``maxItems``, and local ``$ref``
into ``$defs``/``definitions``. Other keywords are ignored and named in
``unsupported`` so that a report can say what was not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from agentreel.model import JSON

__all__ = ["SchemaCheck", "check_arguments"]

_KNOWN = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const",
        "anyOf", "oneOf", "allOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "$ref", "$defs",
        "definitions", "description", "title", "default", "examples", "strict", "format",
        "nullable", "$schema", "$id", "$comment",
    }
)  # fmt: skip
#: (keyword, +1 for a lower bound or -1 for an upper one, what breaking it says)
_BOUNDS = (
    ("minimum", 1, "less than"),
    ("maximum", -1, "more than"),
    ("exclusiveMinimum", 1, "not more than"),
    ("exclusiveMaximum", -1, "not less than"),
)
_MAX_ERRORS = 5
_MAX_DEPTH = 32


@dataclass(slots=True)
class SchemaCheck:
    """What checking one value found: errors (``path: problem``) and keywords not checked."""

    errors: list[str] = field(default_factory=list)
    unsupported: set[str] = field(default_factory=set)


def _type_ok(value: JSON, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True  # an unknown type name constrains nothing we know of


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _short(value: JSON) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Checker:
    def __init__(self, root: Mapping[str, JSON]) -> None:
        self.root = root
        self.result = SchemaCheck()

    def fail(self, path: str, problem: str) -> None:
        if len(self.result.errors) < _MAX_ERRORS:
            self.result.errors.append(f"{path or '(arguments)'}: {problem}")

    def resolve(self, ref: str) -> Mapping[str, JSON] | None:
        if not ref.startswith("#/"):
            self.result.unsupported.add("$ref (remote)")
            return None
        node: JSON = self.root
        for part in ref[2:].split("/"):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node if isinstance(node, dict) else None

    def matches(self, value: JSON, schema: Mapping[str, JSON], depth: int) -> bool:
        """Whether ``value`` satisfies ``schema``, without recording errors."""
        probe = _Checker(self.root)
        probe.check(value, schema, "", depth)
        self.result.unsupported |= probe.result.unsupported
        return not probe.result.errors

    def check(self, value: JSON, schema: JSON, path: str, depth: int = 0) -> None:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return
        if not _KNOWN.issuperset(schema):
            self.result.unsupported |= {k for k in schema if k not in _KNOWN}
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self.resolve(ref)
            if target is not None:
                self.check(value, target, path, depth + 1)
        types = schema.get("type")
        names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        if schema.get("nullable") is True and names:
            names = [*names, "null"]
        if names and not any(_type_ok(value, str(n)) for n in names):
            self.fail(path, f"expected {' or '.join(map(str, names))}, got {_short(value)}")
            return
        if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
            self.fail(path, f"{_short(value)} is not one of {_short(schema['enum'])}")
        if "const" in schema and value != schema["const"]:
            self.fail(path, f"must be {_short(schema['const'])}")
        self._combinators(value, schema, path, depth)
        if isinstance(value, dict):
            self._object(value, schema, path, depth)
        elif isinstance(value, list):
            self._array(value, schema, path, depth)
        elif isinstance(value, str):
            self._string(value, schema, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self._number(value, schema, path)

    def _combinators(self, value: JSON, schema: Mapping[str, JSON], path: str, depth: int) -> None:
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                hits = sum(
                    1 for o in options if isinstance(o, dict) and self.matches(value, o, depth + 1)
                )
                if hits == 0 or (key == "oneOf" and hits > 1):
                    self.fail(path, f"matches {hits} of the {key} alternatives")
        for option in schema.get("allOf") or ():
            self.check(value, option, path, depth + 1)

    def _object(
        self, value: dict[str, JSON], schema: Mapping[str, JSON], path: str, depth: int
    ) -> None:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        for name in schema.get("required") or ():
            if isinstance(name, str) and name not in value:
                self.fail(path, f"missing required argument {name!r}")
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            where = f"{path}.{name}" if path else name
            if name in properties:
                self.check(item, properties[name], where, depth + 1)
            elif extra is False:
                self.fail(path, f"unexpected argument {name!r}")
            elif isinstance(extra, dict):
                self.check(item, extra, where, depth + 1)

    def _array(self, value: list[JSON], schema: Mapping[str, JSON], path: str, depth: int) -> None:
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                self.check(item, items, f"{path}[{index}]", depth + 1)
        low, high = schema.get("minItems"), schema.get("maxItems")
        if isinstance(low, int) and len(value) < low:
            self.fail(path, f"has {len(value)} items, fewer than {low}")
        if isinstance(high, int) and len(value) > high:
            self.fail(path, f"has {len(value)} items, more than {high}")

    def _string(self, value: str, schema: Mapping[str, JSON], path: str) -> None:
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and len(value) < low:
            self.fail(path, f"is {len(value)} characters, shorter than {low}")
        if isinstance(high, int) and len(value) > high:
            self.fail(path, f"is {len(value)} characters, longer than {high}")
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            regex = _regex(pattern)
            if regex is not None and not regex.search(value):
                self.fail(path, f"{_short(value)} does not match {pattern!r}")

    def _number(self, value: float, schema: Mapping[str, JSON], path: str) -> None:
        for key, sign, words in _BOUNDS:
            bound = schema.get(key)
            if isinstance(bound, int | float) and not isinstance(bound, bool):
                exclusive = key.startswith("exclusive") and value == bound
                if value * sign < bound * sign or exclusive:
                    self.fail(path, f"{_short(value)} is {words} {bound}")


def check_arguments(arguments: JSON, schema: Mapping[str, JSON]) -> SchemaCheck:
    """Check a tool call's ``arguments`` against ``schema``."""
    checker = _Checker(schema)
    checker.check(arguments, schema, "")
    return checker.result
