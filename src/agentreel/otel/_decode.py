"""Reading an OTLP/HTTP trace export body into an ``ExportTraceServiceRequest``.

Protobuf bodies are parsed by ``opentelemetry-proto`` (never by hand). JSON
bodies follow the OTLP/JSON mapping, which differs from protobuf's canonical
JSON in one place that matters: trace and span ids are hex strings, not
base64. They are rewritten to base64 before ``json_format`` sees them. An id
that is neither becomes one zero byte (a length no id has), so that the span
carrying it is rejected on its own instead of failing the whole request.

``opentelemetry-proto`` is imported here, inside the function, so that
``import agentreel`` never needs it: it comes with the ``export`` extra.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from agentreel.errors import ConfigurationError

from ._errors import BadRequest

__all__ = ["JSON_TYPE", "PROTOBUF", "decode_request"]

PROTOBUF = "application/x-protobuf"
JSON_TYPE = "application/json"
#: Accepted spellings of the two encodings (the first of each is OTLP's own).
_TYPES = {PROTOBUF: PROTOBUF, "application/protobuf": PROTOBUF, JSON_TYPE: JSON_TYPE}
#: Byte lengths of the OTLP id fields that JSON carries as hex.
_ID_BYTES = {"traceId": 16, "trace_id": 16, "spanId": 8, "span_id": 8,
             "parentSpanId": 8, "parent_span_id": 8}  # fmt: skip


def decode_request(body: bytes, content_type: str) -> Any:
    """Decode an OTLP/HTTP trace export body (already decompressed).

    ``content_type`` is the request's Content-Type header; parameters such as
    ``charset`` are ignored. Returns an
    ``opentelemetry.proto.collector.trace.v1.trace_service_pb2.ExportTraceServiceRequest``.
    Raises :class:`BadRequest` with status 415 for a type other than
    ``application/x-protobuf`` or ``application/json``, and 400 for a body
    that does not decode.
    """
    kind = _TYPES.get(content_type.split(";", 1)[0].strip().lower())
    if kind is None:
        shown = content_type.strip()[:100] or "(none)"
        raise BadRequest(
            f"unsupported content type {shown!r}; send OTLP as {PROTOBUF} or {JSON_TYPE}",
            status=415,
            reason="unsupported_type",
        )
    request_type = _request_type()
    if kind == PROTOBUF:
        return _from_protobuf(request_type, bytes(body))
    return _from_json(request_type, bytes(body))


def _request_type() -> Any:
    try:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            "reading OTLP needs opentelemetry-proto; install it with "
            "`pip install 'agentreel[export]'`"
        ) from exc
    return ExportTraceServiceRequest


def _from_protobuf(request_type: Any, body: bytes) -> Any:
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

    try:
        return request_type.FromString(body)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise BadRequest(f"the body is not an OTLP protobuf trace export request: {exc}") from None


def _from_json(request_type: Any, body: bytes) -> Any:
    from google.protobuf import json_format  # type: ignore[import-untyped]

    try:
        value = orjson.loads(body)  # also rejects invalid UTF-8 and lone surrogates
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BadRequest("the body is JSON but not an object; OTLP/JSON sends an object") from None
    try:
        _ids_to_base64(value)
        return json_format.ParseDict(value, request_type(), ignore_unknown_fields=True)
    except (json_format.ParseError, RecursionError, ValueError, TypeError) as exc:
        raise BadRequest(f"the body is not an OTLP/JSON trace export request: {exc}") from None


def _ids_to_base64(request: dict[str, Any]) -> None:
    """Rewrite OTLP/JSON hex ids in place into the base64 ``json_format`` expects."""
    for resource in _items(request, "resourceSpans", "resource_spans"):
        for scope in _items(resource, "scopeSpans", "scope_spans"):
            for span in _items(scope, "spans"):
                _fix_ids(span)
                for link in _items(span, "links"):
                    _fix_ids(link)


def _items(parent: Any, *names: str) -> list[Any]:
    if not isinstance(parent, dict):
        return []
    for name in names:
        value = parent.get(name)
        if isinstance(value, list):
            return value
    return []


def _fix_ids(record: Any) -> None:
    if not isinstance(record, dict):
        return
    for field, size in _ID_BYTES.items():
        value = record.get(field)
        if isinstance(value, str):
            record[field] = _id_base64(value, size)


_BAD_ID = base64.b64encode(b"\0").decode("ascii")


def _id_base64(text: str, size: int) -> str:
    if not text:
        return ""
    if len(text) == 2 * size:
        try:
            return base64.b64encode(bytes.fromhex(text)).decode("ascii")
        except ValueError:
            pass
    # Some exporters send protobuf's base64 anyway; accept it at the right length.
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return _BAD_ID
    return text if len(raw) == size else _BAD_ID
