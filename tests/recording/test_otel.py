"""A session started under an active OpenTelemetry span joins the host's trace."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

import agentreel
from agentreel.storage import Store


def test_session_joins_active_host_span(recorded: Store) -> None:
    tracer = TracerProvider().get_tracer("host-app")
    with tracer.start_as_current_span("handle-request") as span:
        ctx = span.get_span_context()
        with agentreel.session("joined"), agentreel.step("tool", "t"):
            pass
    with agentreel.session("alone"):
        pass
    agentreel.flush()
    by_name = {s.session.name: s.session for s in recorded.list_sessions()}
    joined = by_name["joined"]
    assert joined.trace_id == f"{ctx.trace_id:032x}"
    assert joined.parent_span_id == f"{ctx.span_id:016x}"
    assert joined.otel_trace_id == joined.trace_id
    assert joined.id != joined.trace_id  # session ids stay unique per session
    top = recorded.get_step(joined.id, 1)
    assert top.parent_span_id == f"{ctx.span_id:016x}"
    alone = by_name["alone"]
    assert alone.trace_id is None
    assert alone.otel_trace_id == alone.id
