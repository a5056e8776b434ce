"""The response record: what a captured call's step stores as its output.

In JSON (the step output)::

    {"status": 200,
     "headers": {"content-type": "application/json", "x-request-id": "req_1", ...},
     "body": "<the response body, exactly as the client received it>"}

A server-sent event stream has ``"chunks"`` instead of ``"body"``: a list of
``[ms, text]``, one per piece of data in the order and with the boundaries the
client received them, ``ms`` being milliseconds since the request was sent.
Bytes that are not UTF-8 are kept in base64: ``"body_base64"`` for a body,
``[ms, {"base64": ...}]`` for a chunk.

The body is the *decoded* content: a compressed response is stored
uncompressed, and the client is handed the same decoded bytes without the
``content-encoding`` header, so a replayed response is byte for byte the one
the program saw. Headers describing the delivery rather than the answer
(framing, connection, date, server, proxies, cookies) are not kept; request
ids, rate limits, ``retry-after`` and ``x-should-retry`` are, because the
clients read them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentreel.errors import AgentreelError

from ._request import is_credential

#: Response headers about the delivery, not the answer; they are not recorded.
DELIVERY_HEADERS = frozenset(
    {
        "alt-svc",
        "cf-cache-status",
        "cf-ray",
        "connection",
        "content-encoding",
        "content-length",
        "date",
        "keep-alive",
        "nel",
        "openai-processing-ms",
        "proxy-connection",
        "report-to",
        "server",
        "strict-transport-security",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-envoy-upstream-service-time",
    }
)

#: A piece of a streamed body: milliseconds since the request was sent, and the bytes.
Chunk = tuple[float, bytes]


class ResponseRecordError(AgentreelError):
    """A recorded answer for a captured HTTP call is not a response record."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(
            f"cannot serve the recorded HTTP response: {problem}; the recording was not made "
            "by agentreel.integrations or was edited by hand; re-record the session"
        )


def kept_headers(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The response headers worth recording, names in lower case, repeats joined."""
    kept: dict[str, str] = {}
    for raw_name, value in headers:
        name = raw_name.lower()
        if name in DELIVERY_HEADERS or is_credential(name):
            continue
        kept[name] = f"{kept[name]}, {value}" if name in kept else value
    return tuple(kept.items())


def is_event_stream(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a response with these headers is a server-sent event stream."""
    return any(
        name.lower() == "content-type" and value.lower().startswith("text/event-stream")
        for name, value in headers
    )


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseRecord:
    """One HTTP response as recorded: a whole ``body`` or the stream's ``chunks``."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    chunks: tuple[Chunk, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "headers": dict(self.headers)}
        if self.chunks is not None:
            out["chunks"] = [_chunk_json(ms, data) for ms, data in self.chunks]
            return out
        text = _text(self.body)
        if text is None:
            out["body_base64"] = base64.b64encode(self.body).decode("ascii")
        else:
            out["body"] = text
        return out

    @classmethod
    def from_json(cls, value: Any) -> ResponseRecord:
        """Read a recorded step output back; :class:`ResponseRecordError` if it is not one."""
        if not isinstance(value, dict):
            raise ResponseRecordError(f"expected a JSON object, got {type(value).__name__}")
        status = value.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ResponseRecordError(f"'status' must be an HTTP status code, not {status!r}")
        headers = value.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ResponseRecordError("'headers' must be an object of strings")
        pairs = tuple(headers.items())
        if "chunks" in value:
            chunks = value["chunks"]
            if not isinstance(chunks, list):
                raise ResponseRecordError("'chunks' must be a list of [ms, text] pairs")
            return cls(status=status, headers=pairs, chunks=tuple(_chunk(c) for c in chunks))
        if "body_base64" in value:
            return cls(status=status, headers=pairs, body=_b64(value["body_base64"]))
        body = value.get("body", "")
        if not isinstance(body, str):
            raise ResponseRecordError("'body' must be a string")
        return cls(status=status, headers=pairs, body=body.encode("utf-8"))

    @property
    def content(self) -> bytes:
        """The whole body: the chunks joined for a stream."""
        if self.chunks is None:
            return self.body
        return b"".join(data for _, data in self.chunks)


def _chunk_json(ms: float, data: bytes) -> list[Any]:
    text = _text(data)
    if text is None:
        return [ms, {"base64": base64.b64encode(data).decode("ascii")}]
    return [ms, text]


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ResponseRecordError("base64 content must be a string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ResponseRecordError(f"base64 content does not decode: {exc}") from None


def _chunk(value: Any) -> Chunk:
    if not isinstance(value, list) or len(value) != 2:
        raise ResponseRecordError(f"a chunk must be a [ms, text] pair, not {value!r:.80}")
    ms, data = value
    if not isinstance(ms, int | float) or isinstance(ms, bool) or ms < 0:
        raise ResponseRecordError(f"a chunk's time must be milliseconds >= 0, not {ms!r}")
    if isinstance(data, str):
        return float(ms), data.encode("utf-8")
    if isinstance(data, dict) and set(data) == {"base64"}:
        return float(ms), _b64(data["base64"])
    raise ResponseRecordError(f"a chunk's data must be text or {{'base64': ...}}, not {data!r:.80}")
