"""Turn arbitrary Python objects into JSON-safe values, never raising.

This runs on the recording hot path (inputs and outputs of decorated
functions), so the common cases — str, int, float, bool, None, and dicts and
lists of them — are handled first and cheaply. Everything else is converted by
type; what cannot be converted becomes a bounded ``repr``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import enum
import math
import uuid
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

MAX_DEPTH = 32
MAX_REPR = 1000
MAX_ITEMS = 10_000

_SCALARS = (str, int, bool, type(None))


def bounded_repr(value: object, limit: int = MAX_REPR) -> str:
    """``repr(value)`` cut to ``limit`` characters; never raises."""
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not reach the host program
        text = f"<{type(value).__qualname__} (repr failed: {type(exc).__name__})>"
    if len(text) > limit:
        text = text[:limit] + f"...[{len(text) - limit} more chars]"
    return text


def jsonable(value: Any, _depth: int = 0) -> Any:
    """A JSON-safe copy of ``value``: a snapshot that later mutation cannot touch."""
    cls = type(value)
    if cls in _SCALARS:
        return value
    if cls is float:
        # JSON has no NaN or infinity; keep them readable rather than lose them.
        return value if math.isfinite(value) else repr(value)
    if _depth >= MAX_DEPTH:
        return bounded_repr(value, 200)
    try:
        if cls is dict or isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for i, (k, v) in enumerate(value.items()):
                if i >= MAX_ITEMS:
                    out["..."] = f"{len(value) - MAX_ITEMS} more items"
                    break
                out[k if type(k) is str else _key(k)] = jsonable(v, _depth + 1)
            return out
        if cls is list or cls is tuple or isinstance(value, list | tuple | set | frozenset):
            items = value if not isinstance(value, set | frozenset) else _sorted(value)
            result = [jsonable(v, _depth + 1) for v in items[:MAX_ITEMS]]
            if len(items) > MAX_ITEMS:
                result.append(f"...[{len(items) - MAX_ITEMS} more items]")
            return result
        return _convert(value, _depth)
    except Exception:
        return bounded_repr(value)


def _convert(value: Any, depth: int) -> Any:
    if isinstance(value, str | int | float):  # subclasses (IntEnum, str enums) land here
        if isinstance(value, enum.Enum):
            return jsonable(value.value, depth + 1)
        return value if not isinstance(value, float) else jsonable(float(value), depth)
    if isinstance(value, enum.Enum):
        return jsonable(value.value, depth + 1)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"$bytes": base64.b64encode(raw[:65536]).decode("ascii"), "len": len(raw)}
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID | Decimal | PurePath):
        return str(value)
    # pydantic v2 models (the openai and anthropic SDK objects among them).
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return jsonable(dump(mode="json"), depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name, None), depth + 1)
            for f in dataclasses.fields(value)
        }
    if isinstance(value, BaseException):
        return {"type": type(value).__qualname__, "message": str(value)}
    return bounded_repr(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return str(key)
    if isinstance(key, enum.Enum):
        return str(key.value)
    return bounded_repr(key, 200) if not isinstance(key, int | float | bool) else str(key)


def _sorted(items: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)
