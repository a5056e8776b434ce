"""OTLP export requests built with the official protobuf classes."""

from __future__ import annotations

import os
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status


def _kv(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def chat_request(conversation: str, *, model: str = "gpt-4o", bad_spans: int = 0) -> bytes:
    """One GenAI chat span in conversation ``conversation``, plus ``bad_spans``
    spans with an invalid (empty) span id, as a serialized export request."""
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    now = time.time_ns()
    span = scope.spans.add()
    span.trace_id = os.urandom(16)
    span.span_id = os.urandom(8)
    span.name = f"chat {model}"
    span.kind = Span.SPAN_KIND_CLIENT
    span.start_time_unix_nano = now - 2_000_000
    span.end_time_unix_nano = now
    span.status.code = Status.STATUS_CODE_OK
    span.attributes.extend(
        [
            _kv("gen_ai.operation.name", "chat"),
            _kv("gen_ai.request.model", model),
            _kv("gen_ai.conversation.id", conversation),
            _kv("gen_ai.usage.input_tokens", 10),
            _kv("gen_ai.usage.output_tokens", 4),
        ]
    )
    for _ in range(bad_spans):
        bad = scope.spans.add()
        bad.trace_id = os.urandom(16)
        bad.name = "no span id"
        bad.start_time_unix_nano = now
    return request.SerializeToString()
