"""Secrets masked and oversized strings cut before anything from a span is stored.

Redaction is the recorder's (``agentreel.recording.Redactor``); it lives in a
layer above this one, so the caller hands it in as any object with the same
``value()`` method and ``count`` counter.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import orjson

from agentreel.model import JSON, Session
from agentreel.payloads import PayloadEncoder

__all__ = ["Cleaner", "Redacting"]


class Redacting(Protocol):
    """What ingest needs of a redactor: a masked copy of a value, and a running count."""

    count: int

    def value(self, value: Any) -> Any: ...


class Cleaner:
    """Applies redaction and the length limit, counting what each changed."""

    __slots__ = ("_limit", "_redactor", "redacted", "truncated")

    def __init__(self, redactor: Redacting | None, limit: int) -> None:
        self._redactor = redactor
        self._limit = limit
        self.redacted = 0
        self.truncated = 0

    def value(self, value: JSON, size: int) -> JSON:
        """``value`` (whose JSON is ``size`` bytes) redacted and with long strings cut."""
        redactor = self._redactor
        if redactor is not None:
            before = redactor.count
            value = redactor.value(value)
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
