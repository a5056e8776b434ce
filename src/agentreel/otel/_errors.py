"""The error an OTLP request body earns when it cannot be read at all."""

from __future__ import annotations

from agentreel.errors import AgentreelError

__all__ = ["BadRequest"]


class BadRequest(AgentreelError):
    """An OTLP/HTTP request body that cannot be decoded, or of a type we do not read.

    ``status`` is the HTTP status the server answers with: 400 for a body that
    is not a valid OTLP trace export request in its declared encoding, 415 for
    a content type other than protobuf or JSON. ``reason`` is a short label
    for counting rejections (``"undecodable"``, ``"unsupported_type"``).
    """

    def __init__(self, message: str, *, status: int = 400, reason: str = "undecodable") -> None:
        self.status = status
        self.reason = reason
        super().__init__(message)
