"""Bodies that cannot be read, and batches where only some spans can be stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from agentreel.errors import AgentreelError
from agentreel.otel import BadRequest, decode_request, ingest
from agentreel.recording import MASK, Redactor
from agentreel.storage import SQLiteStore

from ._otlp import JSON, PROTOBUF, Tracing, json_body, payload, protobuf_body, send


def _spans(tracing: Tracing, n: int) -> list:
    for i in range(n):
        with tracing.tracer.start_as_current_span(f"work-{i}", attributes={"i": i}):
            pass
    return tracing.take()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00\xff garbage \x13\x37", PROTOBUF),
        (b"{not json", JSON),
        (b"[1, 2, 3]", JSON),
        (b'{"resourceSpans": 5}', JSON),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "\\udc80"}]}]}]}', JSON),
        (b'{"name": "\xff\xfe"}', JSON),
        (b"", JSON),
    ],
    ids=[
        "garbage",
        "broken-json",
        "json-array",
        "wrong-shape",
        "lone-surrogate",
        "invalid-utf8",
        "empty-json",
    ],
)
def test_undecodable_bodies_are_400(body: bytes, content_type: str) -> None:
    with pytest.raises(BadRequest) as caught:
        decode_request(body, content_type)
    assert caught.value.status == 400
    assert isinstance(caught.value, AgentreelError)


def test_invalid_utf8_in_a_protobuf_string_is_400(tracing: Tracing) -> None:
    body = protobuf_body(_spans(tracing, 1)).replace(b"work-0", b"work-\xff")
    with pytest.raises(BadRequest, match="UTF-8") as caught:
        decode_request(body, PROTOBUF)
    assert caught.value.status == 400


def test_deep_nesting_is_400() -> None:
    depth = 200
    value = '{"kvlistValue": {"values": [{"key": "k", "value": ' * depth
    value += '{"intValue": 1}' + "}]}}" * depth
    body = (
        '{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "a", "attributes": '
        f'[{{"key": "k", "value": {value}}}]}}]}}]}}]}}'
    ).encode()
    orjson.loads(body)  # the test's own JSON is valid: only the depth is wrong
    with pytest.raises(BadRequest):
        decode_request(body, JSON)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "", "multipart/x"])
def test_unsupported_types_are_415(content_type: str) -> None:
    with pytest.raises(BadRequest, match="unsupported content type") as caught:
        decode_request(b"{}", content_type)
    assert caught.value.status == 415


def test_parameters_and_case_of_the_type_are_ignored(tracing: Tracing) -> None:
    spans = _spans(tracing, 1)
    assert decode_request(json_body(spans), "Application/JSON; charset=utf-8").resource_spans
    assert decode_request(protobuf_body(spans), "application/x-protobuf ; q=1").resource_spans


def test_an_empty_protobuf_request_stores_nothing(store: SQLiteStore) -> None:
    report = ingest(store, decode_request(b"", PROTOBUF))
    assert (report.accepted, report.rejected, report.session_ids) == (0, 0, ())
    assert store.count_sessions() == 0


def test_a_partly_bad_batch_stores_the_good_spans(tracing: Tracing, store: SQLiteStore) -> None:
    request = encode_spans(_spans(tracing, 8))
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[0].trace_id = b"\x01\x02\x03"
    spans[1].trace_id = bytes(16)
    spans[2].span_id = bytes(8)
    spans[3].start_time_unix_nano = 0
    spans[4].end_time_unix_nano = 0
    spans[5].end_time_unix_nano = spans[5].start_time_unix_nano - 1
    spans[6].parent_span_id = b"\x09" * 3
    report = ingest(store, decode_request(request.SerializeToString(), PROTOBUF))
    assert (report.accepted, report.rejected) == (1, 7)
    assert report.rejections == {
        "bad_trace_id": 2,
        "bad_span_id": 1,
        "missing_start_time": 1,
        "missing_end_time": 1,
        "end_before_start": 1,
        "bad_parent_span_id": 1,
    }
    assert report.message.startswith("7 of 8 spans rejected: 2 with a trace id that is not 16")
    (step,) = store.get_steps(report.session_ids[0])
    assert step.name == "work-7"


def test_a_bad_hex_id_in_json_rejects_only_its_span(tracing: Tracing, store: SQLiteStore) -> None:
    value = orjson.loads(json_body(_spans(tracing, 3)))
    spans = value["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["traceId"] = "zz" * 16
    spans[1]["parentSpanId"] = "not hex"
    report = ingest(store, decode_request(orjson.dumps(value), JSON))
    assert (report.accepted, report.rejected) == (1, 2)
    assert report.rejections == {"bad_trace_id": 1, "bad_parent_span_id": 1}


def test_long_strings_are_cut_and_counted(tracing: Tracing, store: SQLiteStore) -> None:
    attrs = {"input.value": "x" * 5000, "note": "y" * 5000, "short": "ok"}
    with tracing.tracer.start_as_current_span("big", attributes=attrs):
        pass
    report = send(store, tracing.take(), max_chars=1000)
    assert report.truncated == 2
    (step,) = store.get_steps(report.session_ids[0])
    assert step.attributes["note"] == "y" * 1000 + "...[truncated 4000 chars]"
    assert step.attributes["short"] == "ok"
    assert payload(store, step.input_ref) == "x" * 1000 + "...[truncated 4000 chars]"


def test_secrets_are_redacted_with_the_recorders_redactor(
    tracing: Tracing, store: SQLiteStore
) -> None:
    key = "sk-proj-" + "A1b2C3d4" * 4
    messages = [{"role": "user", "parts": [{"type": "text", "content": f"my key is {key}"}]}]
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.input.messages": orjson.dumps(messages).decode(),
        "http.request.header.authorization": "Bearer abc",
        "metadata": orjson.dumps({"api_key": "hunter2"}).decode(),
    }
    with tracing.tracer.start_as_current_span("chat", attributes=attrs):
        pass
    report = send(store, tracing.take(), redactor=Redactor())
    assert report.redacted == 3
    sid = report.session_ids[0]
    (step,) = store.get_steps(sid)
    assert payload(store, step.input_ref)["messages"][0]["content"] == f"my key is {MASK}"
    assert step.attributes["http.request.header.authorization"] == MASK
    assert store.get_session(sid).metadata["api_key"] == MASK


def test_a_session_of_another_project_is_not_touched(tracing: Tracing, store: SQLiteStore) -> None:
    spans = _spans(tracing, 1)
    first = send(store, spans, project="alpha")
    report = send(store, spans, project="beta")
    assert (report.accepted, report.rejected) == (0, 1)
    assert report.rejections == {"foreign_session": 1}
    assert "another project" in report.message
    assert store.get_session(first.session_ids[0]).project == "alpha"


class _TakenMeanwhile(SQLiteStore):
    """A store where another process files the session under another project
    between ingest's first look and its transaction."""

    spans: list | None = None

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        if self.spans:
            spans, self.spans = self.spans, None
            other = SQLiteStore(self.path)
            try:
                send(other, spans, project="alpha")
            finally:
                other.close()
        with super().transaction() as tx:
            yield tx


def test_a_session_taken_meanwhile_counts_nothing_of_its_spans(
    tracing: Tracing, tmp_path: Path
) -> None:
    attrs = {"note": "y" * 5000, "http.request.header.authorization": "Bearer abc"}
    with tracing.tracer.start_as_current_span("work", attributes=attrs):
        pass
    spans = tracing.take()
    store = _TakenMeanwhile(tmp_path / "reel.db")
    store.spans = spans
    try:
        report = send(store, spans, project="beta", redactor=Redactor(), max_chars=1000)
    finally:
        store.close()
    assert report.rejections == {"foreign_session": 1}
    assert (report.accepted, report.redacted, report.truncated) == (0, 0, 0)
