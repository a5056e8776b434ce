"""agentreel's own export read back: a recorded session survives SDK → OTLP → ingest.

The recorder writes into a store that keeps every write batch; the remote
exporter's span mapping and wire encoding (``agentreel.remote``) turn each
batch into the request it would send; ingest stores them in a second store.
The second store must hold the same session and steps as the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel.otel import decode_request, ingest
from agentreel.remote._mapping import SpanMapper
from agentreel.remote._stats import RemoteStats
from agentreel.remote._wire import encode_request
from agentreel.storage import MemoryStore, SQLiteStore, WriteBatch, load_payload

from ._otlp import PROTOBUF


class KeepingStore(MemoryStore):
    """A memory store that also keeps each batch, as the remote store receives them."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[WriteBatch] = []

    def write(self, batch: WriteBatch) -> None:
        self.batches.append(batch)
        super().write(batch)


def _record(store: KeepingStore) -> str:
    agentreel.configure(store=store, flush_interval=0.01)
    with agentreel.session("nightly", tags=["ci"], metadata={"commit": "abc123"}) as s:
        with agentreel.step("agent", "triager", input={"task": "flaky test"}):
            agentreel.flush()  # the agent step goes out while still running
            with agentreel.step("llm", "ask", model="gpt-4o-mini") as llm:
                llm.set_input({"messages": [{"role": "user", "content": "why flaky?"}]})
                llm.record_usage(input=30, output=8)
                llm.set_output({"role": "assistant", "content": "a race"})
            with agentreel.step("tool", "run_tests", input={"path": "tests/"}) as tool:
                tool.set_attribute("exit_code", 1)
                tool.set_attribute("looks_like_json", "[1, 2]")
                tool.set_attribute("is_json", {"retries": [1, 2]})
                tool.fail(RuntimeError("2 failed"))
        session_id = s.id
    agentreel.shutdown()
    return session_id


def _comparable(store: Any, session_id: str) -> list[tuple[Any, ...]]:
    return [
        (
            s.number,
            s.span_id,
            s.parent_number,
            s.parent_span_id,
            s.kind,
            s.name,
            s.status,
            s.started_at,
            s.ended_at,
            dict(s.attributes),
            s.model,
            s.usage,
            s.cost,
            s.error,
            None if s.input_ref is None else load_payload(store, s.input_ref),
            None if s.output_ref is None else load_payload(store, s.output_ref),
        )
        for s in store.get_steps(session_id)
    ]


def test_a_recorded_session_round_trips(tmp_path: Path) -> None:
    local = KeepingStore()
    session_id = _record(local)
    assert len(local.batches) >= 2, "the running agent step should be written before its end"
    mapper = SpanMapper(stats=RemoteStats(), max_payload_bytes=1 << 20, blob_cache_bytes=1 << 24)
    server = SQLiteStore(tmp_path / "server.db")
    try:
        for batch in local.batches:
            body = encode_request(
                mapper.spans(batch), resource={"service.name": "ci"}, scope_version="test"
            )
            report = ingest(server, decode_request(body, PROTOBUF), project="default")
            assert report.rejected == 0, report.message
        assert _comparable(server, session_id) == _comparable(local, session_id)
        theirs, ours = local.get_session(session_id), server.get_session(session_id)
        for field in (
            "id",
            "name",
            "project",
            "tags",
            "status",
            "started_at",
            "ended_at",
            "error",
            "forked_from",
            "trace_id",
            "parent_span_id",
        ):
            assert getattr(ours, field) == getattr(theirs, field), field
        assert ours.metadata["commit"] == "abc123"
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _off() -> Any:
    yield
    agentreel.shutdown()
