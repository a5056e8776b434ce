"""Whatever the body, decoding either fails with BadRequest or gives spans ingest can take."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentreel.otel import BadRequest, decode_request, ingest
from agentreel.storage import SQLiteStore

from ._otlp import JSON, PROTOBUF, Tracing, json_body, protobuf_body


def _valid_bodies() -> tuple[bytes, bytes]:
    tracing = Tracing()
    with tracing.tracer.start_as_current_span("root", attributes={"gen_ai.conversation.id": "c"}):
        with tracing.tracer.start_as_current_span(
            "chat", attributes={"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 3}
        ):
            pass
    spans = tracing.take()
    tracing.provider.shutdown()
    return protobuf_body(spans), json_body(spans)


PB, JS = _valid_bodies()


def _mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` with a few bytes replaced, inserted or cut: mostly-valid bodies."""
    return st.tuples(
        st.integers(0, len(seed) - 1), st.binary(min_size=0, max_size=4), st.integers(0, 4)
    ).map(lambda t: seed[: t[0]] + t[1] + seed[t[0] + t[2] :])


def _check(store: SQLiteStore, body: bytes, content_type: str) -> None:
    try:
        request = decode_request(body, content_type)
    except BadRequest as exc:
        status = exc.status
    else:
        report = ingest(store, request)
        assert report.accepted + report.rejected >= len(report.steps)
        return
    assert status == 400


@pytest.fixture(scope="module")
def shared_store() -> Iterator[SQLiteStore]:
    # Module-scoped: hypothesis runs every example in one test call, and a
    # fresh file per example would be most of the test's time.
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "reel.db")
        yield store
        store.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(st.binary(max_size=300), _mutated(PB), _mutated(JS)),
    content_type=st.sampled_from([PROTOBUF, JSON]),
)
def test_decode_and_ingest_never_fail_otherwise(
    shared_store: SQLiteStore, body: bytes, content_type: str
) -> None:
    _check(shared_store, body, content_type)
