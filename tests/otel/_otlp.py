"""Helpers for OTLP ingest tests: SDK spans in memory, encoded as the real exporter does."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import orjson
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentreel.otel import IngestReport, decode_request, ingest
from agentreel.storage import SQLiteStore, load_payload

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


class Tracing:
    """An SDK tracer provider whose finished spans are kept in memory."""

    def __init__(self, service: str = "checkout-agent") -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = self.provider.get_tracer("tests.otel")

    def take(self) -> list[ReadableSpan]:
        spans = list(self.exporter.get_finished_spans())
        self.exporter.clear()
        return spans


def protobuf_body(spans: Sequence[ReadableSpan]) -> bytes:
    """The body the OTLP/HTTP protobuf exporter sends for ``spans``."""
    return bytes(encode_spans(spans).SerializeToString())


def json_body(spans: Sequence[ReadableSpan]) -> bytes:
    """The OTLP/JSON body for ``spans``: protobuf's JSON mapping, ids as hex (OTLP's rule)."""
    value = json_format.MessageToDict(encode_spans(spans))
    for resource in value.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return orjson.dumps(value)


def send(
    store: SQLiteStore, spans: Sequence[ReadableSpan], *, as_json: bool = False, **kw: Any
) -> IngestReport:
    """Encode ``spans`` as an exporter would, then decode and ingest them."""
    body = json_body(spans) if as_json else protobuf_body(spans)
    return ingest(store, decode_request(body, JSON if as_json else PROTOBUF), **kw)


def payload(store: SQLiteStore, ref: str | None) -> Any:
    assert ref is not None, "the step has no payload"
    return load_payload(store, ref)
