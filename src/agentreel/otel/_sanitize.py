"""Secrets masked and oversized strings cut before anything from a span is stored.

Redaction is the recorder's (``agentreel.recording.Redactor``); it lives in a
layer above this one, so the caller hands it in as any object with the same
``value()`` method and ``count`` counter.

Ingest walks every attribute and payload of every span, and the redactor's
own walk asks a regular expression about every key it meets: on a 512-span
request that was a third of the server's CPU. Spans repeat the same few
dozen key names, so when the redactor also offers ``is_sensitive_key`` and
``text`` (``Redactor`` does), :class:`Cleaner` walks with the answer for
each key name remembered, and otherwise redacts exactly as ``value()`` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from agentreel.model import JSON, Session
from agentreel.payloads import PayloadEncoder

__all__ = ["Cleaner", "Redacting"]


class Redacting(Protocol):
    """What ingest needs of a redactor: a masked copy of a value, and a running count."""

    count: int

    def value(self, value: Any) -> Any: ...


#: Strings shorter than this are never searched for secrets (the redactor's own rule).
_MIN_SECRET = 16
#: Key names remembered per set of extra sensitive keys; a cache, cleared when full.
_MAX_KEYS = 20_000
_KEY_CACHES: dict[frozenset[str], dict[str, bool]] = {}
_MASK = "[REDACTED]"


class Cleaner:
    """Applies redaction and the length limit, counting what each changed."""

    __slots__ = ("_keys", "_limit", "_redactor", "_sensitive", "_text", "redacted", "truncated")

    def __init__(self, redactor: Redacting | None, limit: int) -> None:
        self._redactor = redactor
        self._limit = limit
        self.redacted = 0
        self.truncated = 0
        sensitive = getattr(redactor, "is_sensitive_key", None)
        text = getattr(redactor, "text", None)
        self._sensitive: Callable[[str], bool] | None = None
        self._text: Callable[[str], str] | None = None
        self._keys: dict[str, bool] = {}
        if callable(sensitive) and callable(text) and getattr(redactor, "enabled", False):
            extra: frozenset[str] = frozenset(getattr(redactor, "extra_keys", ()))
            self._sensitive, self._text = sensitive, text
            self._keys = _KEY_CACHES.setdefault(extra, {})

    def value(self, value: JSON, size: int) -> JSON:
        """``value`` (whose JSON is ``size`` bytes) redacted and with long strings cut."""
        redactor = self._redactor
        if redactor is not None:
            before = redactor.count
            # The same result either way; the walk remembers key names.
            value = self._walk(value) if self._sensitive is not None else redactor.value(value)
            self.redacted += redactor.count - before
        # No string can be longer than the JSON holding it: skip the walk when short.
        if size > self._limit:
            value = self._cut(value)
        return value

    def attributes(self, attrs: dict[str, JSON]) -> bytes:
        """A step's attributes as the JSON bytes the store keeps."""
        data = orjson.dumps(attrs)
        clean = self.value(attrs, len(data))
        return data if clean is attrs else orjson.dumps(clean)

    def payload(self, value: JSON, encoder: PayloadEncoder, blobs: dict[str, bytes]) -> str | None:
        """Encode ``value`` into ``blobs``; its root digest, or None for no value."""
        if value is None:
            return None
        value = self.value(value, len(orjson.dumps(value)))
        encoded = encoder.encode(value)
        blobs.update(encoded.blobs)
        return encoded.root

    def session(self, session: Session) -> Session:
        if self._redactor is None or not session.metadata:
            return session
        metadata = self.value(dict(session.metadata), 0)
        return dataclasses.replace(session, metadata=metadata)

    def _is_sensitive(self, key: str) -> bool:
        assert self._sensitive is not None
        found = self._sensitive(key)
        if len(self._keys) >= _MAX_KEYS:
            self._keys.clear()
        self._keys[key] = found
        return found

    def _walk(self, value: Any) -> Any:
        """The redactor's ``value()`` walk, key by key and string by string, same result."""
        kind = type(value)
        if kind is str or (kind is not dict and kind is not list and isinstance(value, str)):
            if len(value) < _MIN_SECRET:
                return value
            assert self._text is not None
            return self._text(value)
        if kind is dict or isinstance(value, dict):
            keys = self._keys
            out: dict[str, Any] | None = None
            for k, v in value.items():
                if v is None or v == "" or not isinstance(k, str):
                    new: Any = self._walk(v) if v is not None else v
                else:
                    sensitive = keys.get(k)
                    if sensitive is None:
                        sensitive = self._is_sensitive(k)
                    if sensitive:
                        new = _MASK
                        assert self._redactor is not None
                        self._redactor.count += 1
                    elif type(v) is str and len(v) < _MIN_SECRET:
                        continue
                    else:
                        new = self._walk(v)
                if new is not v:
                    if out is None:
                        out = dict(value)
                    out[k] = new
            return value if out is None else out
        if kind is list or isinstance(value, list):
            items: list[Any] | None = None
            for i, v in enumerate(value):
                new = self._walk(v)
                if new is not v:
                    if items is None:
                        items = list(value)
                    items[i] = new
            return value if items is None else items
        return value

    def _cut(self, value: JSON) -> JSON:
        if isinstance(value, str):
            if len(value) > self._limit:
                self.truncated += 1
                return value[: self._limit] + f"...[truncated {len(value) - self._limit} chars]"
            return value
        if isinstance(value, dict):
            return {k: self._cut(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._cut(v) for v in value]
        return value
