"""rca and postmortem on sessions ingested over OTLP from foreign instrumentations.

The spans are made by the OpenTelemetry SDK and go through the real OTLP
encoding, decoding and ingest; then the CLI reports on them. What the
foreign spans lack (no payloads, no model request) must be said, not hidden.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status as OtelStatus
from opentelemetry.trace import StatusCode

from agentreel.otel import decode_request, ingest
from agentreel.storage import SQLiteStore

from ._run import run_cli


@pytest.fixture
def tracing() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _ingest(path: Path, exporter: InMemorySpanExporter) -> str:
    body = bytes(encode_spans(exporter.get_finished_spans()).SerializeToString())
    store = SQLiteStore(path)
    try:
        report = ingest(store, decode_request(body, "application/x-protobuf"))
    finally:
        store.close()
    assert report.rejected == 0
    (sid,) = report.session_ids
    return sid


def test_openinference_spans_without_payloads(
    tmp_path: Path, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = tracing
    tracer = provider.get_tracer("openinference.instrumentation.test")
    with tracer.start_as_current_span("agent", attributes={"openinference.span.kind": "AGENT"}):
        for _ in range(3):
            llm = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini"}
            with tracer.start_as_current_span("ChatCompletion", attributes=llm):
                pass
            tool = {
                "openinference.span.kind": "TOOL",
                "tool.name": "run_tests",
                "input.value": '{"path": "tests/test_x.py"}',
                "input.mime_type": "application/json",
            }
            with tracer.start_as_current_span("run_tests", attributes=tool) as span:
                span.set_status(OtelStatus(StatusCode.ERROR, "ImportError: no module named x"))
    path = tmp_path / "reel.db"
    sid = _ingest(path, exporter)

    run = run_cli(path, "rca", sid, "--json", now=time.time_ns())
    assert run.exit_code == 0, run.err
    doc = json.loads(run.out)
    assert doc["verdict"] == "failed"
    assert doc["failing_step"]["name"] == "run_tests"
    # What the tool spans carry is checked: the same failing call, made three times.
    kinds = {(f["detector"], f["kind"]) for f in doc["findings"]}
    assert ("tool-misuse", "retried-unchanged") in kinds
    # What the model spans lack is said: no request was recorded.
    unchecked = "\n".join(doc["unchecked"])
    assert "context-drift: 3 model call(s) have no readable request" in unchecked
    # The causal chain cannot be followed without the model's answers, and says so.
    assert doc["cause"] is None and doc["cause_note"]

    run = run_cli(path, "postmortem", "--since", "1d", now=time.time_ns())
    assert run.exit_code == 0, run.err
    # No root span failed, so the run as a whole ended ok (docs/otel.md); its tool
    # failures are still counted as a recurring failure.
    assert "1 session: 1 ok, 0 failed" in run.out
    assert "`run_tests`: 3 times in 1 session" in run.out
    assert "## Not checked" in run.out
