"""OTLP protobuf messages, built with ``opentelemetry-proto``'s classes.

The SDK's exporter wants SDK span objects; we hold rows, so we build the
``ExportTraceServiceRequest`` directly. The protobuf package is imported on
first use: ``import agentreel`` must not pay for it, and a user without the
``export`` extra gets a one-line hint instead of a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import orjson

from agentreel.errors import ConfigurationError

INSTALL_HINT = "pip install 'agentreel[export]'"

_INT64 = 2**63


@dataclass(frozen=True, slots=True)
class Proto:
    """The generated modules we use."""

    common: ModuleType
    resource: ModuleType
    trace: ModuleType
    service: ModuleType


@functools.cache
def proto() -> Proto:
    """The ``opentelemetry-proto`` modules, or ``ConfigurationError`` with the install hint."""
    try:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
        from opentelemetry.proto.common.v1 import common_pb2
        from opentelemetry.proto.resource.v1 import resource_pb2
        from opentelemetry.proto.trace.v1 import trace_pb2
    except ImportError as exc:
        raise ConfigurationError(
            f"sending to a server needs opentelemetry-proto ({exc}); {INSTALL_HINT}"
        ) from exc
    return Proto(common_pb2, resource_pb2, trace_pb2, trace_service_pb2)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpanEvent:
    name: str
    time: int
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class SpanData:
    """One span before it becomes protobuf: hex ids, ns times, plain attribute values."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start: int
    end: int
    attributes: dict[str, Any]
    #: 0 unset, 1 ok, 2 error (OTLP's Status.StatusCode numbers).
    status: int = 0
    status_message: str = ""
    events: Sequence[SpanEvent] = ()


def any_value(value: Any) -> Any:
    """An ``AnyValue``: primitives as themselves, string lists as arrays, the rest as JSON."""
    common = proto().common
    if isinstance(value, bool):
        return common.AnyValue(bool_value=value)
    if isinstance(value, int) and -_INT64 <= value < _INT64:
        return common.AnyValue(int_value=value)
    if isinstance(value, float):
        return common.AnyValue(double_value=value)
    if isinstance(value, str):
        return common.AnyValue(string_value=value)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        values = [common.AnyValue(string_value=v) for v in value]
        return common.AnyValue(array_value=common.ArrayValue(values=values))
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    return common.AnyValue(string_value=text)


def key_values(attributes: Mapping[str, Any]) -> list[Any]:
    common = proto().common
    return [
        common.KeyValue(key=k, value=any_value(v)) for k, v in attributes.items() if v is not None
    ]


def encode_request(
    spans: Sequence[SpanData], *, resource: Mapping[str, Any], scope_version: str
) -> bytes:
    """The serialized ``ExportTraceServiceRequest`` holding ``spans``."""
    p = proto()
    trace = p.trace
    out = []
    for s in spans:
        span = trace.Span(
            trace_id=bytes.fromhex(s.trace_id),
            span_id=bytes.fromhex(s.span_id),
            parent_span_id=bytes.fromhex(s.parent_span_id) if s.parent_span_id else b"",
            name=s.name,
            kind=trace.Span.SpanKind.SPAN_KIND_INTERNAL,
            start_time_unix_nano=s.start,
            end_time_unix_nano=s.end,
            attributes=key_values(s.attributes),
            status=trace.Status(code=s.status, message=s.status_message),
        )
        for e in s.events:
            span.events.append(
                trace.Span.Event(
                    name=e.name, time_unix_nano=e.time, attributes=key_values(e.attributes)
                )
            )
        out.append(span)
    request = p.service.ExportTraceServiceRequest(
        resource_spans=[
            trace.ResourceSpans(
                resource=p.resource.Resource(attributes=key_values(resource)),
                scope_spans=[
                    trace.ScopeSpans(
                        scope=p.common.InstrumentationScope(
                            name="agentreel", version=scope_version
                        ),
                        spans=out,
                    )
                ],
            )
        ]
    )
    data: bytes = request.SerializeToString()
    return data


def partial_success(body: bytes) -> tuple[int, str]:
    """Rejected span count and message from an ``ExportTraceServiceResponse`` body.

    An empty or undecodable body (some servers answer JSON, or nothing) means
    nothing was rejected: the status code already said the batch was taken.
    """
    if not body:
        return 0, ""
    try:
        response = proto().service.ExportTraceServiceResponse.FromString(body)
    except Exception:
        return 0, ""
    part = response.partial_success
    return int(part.rejected_spans), str(part.error_message)
