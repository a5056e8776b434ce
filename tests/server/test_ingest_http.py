"""The HTTP rules of ``POST /v1/traces``: types, encodings, caps, bad bodies, backpressure."""

from __future__ import annotations

import gzip
import sqlite3
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import orjson
import pytest
from fastapi import FastAPI
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from agentreel.server import ServerSettings, create_app
from agentreel.storage import SQLiteStore, load_payload

pytestmark = pytest.mark.anyio

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
CAP = 64 * 1024


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """An empty reel of its own: these tests write."""
    opened = SQLiteStore(tmp_path / "ingest.db")
    yield opened
    opened.close()


@pytest.fixture
def settings() -> ServerSettings:
    return ServerSettings(max_body=CAP, max_ingests=2, retry_after=3, metrics_ttl=0.0)


def _bomb(size: int) -> bytes:
    """``size`` zero bytes, gzipped: about a thousandth of that on the wire."""
    out = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [out.compress(block) for _ in range(size >> 20)]
    return b"".join([*parts, out.flush()])


async def _post(client: httpx.AsyncClient, body: bytes, **headers: str) -> httpx.Response:
    return await client.post("/v1/traces", content=body, headers=headers)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "", "multipart/form-data; boundary=x", "application/grpc"],
)
async def test_unsupported_content_types_are_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    r = await _post(client, b"\x0a\x00", **{"Content-Type": content_type})
    assert r.status_code == 415
    assert r.json()["error"]["type"] == "UnsupportedMediaType"
    assert "application/x-protobuf" in r.json()["error"]["message"]


async def test_unsupported_encoding_is_415(client: httpx.AsyncClient) -> None:
    r = await _post(client, b"xx", **PROTOBUF, **{"Content-Encoding": "br"})
    assert r.status_code == 415
    assert "encoding" in r.json()["error"]["message"]


async def test_a_declared_oversize_body_is_413_before_reading(client: httpx.AsyncClient) -> None:
    r = await _post(client, bytes(CAP + 1), **PROTOBUF)
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "PayloadTooLarge"


async def test_an_oversize_streamed_body_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield bytes(CAP // 4)

    r = await client.post("/v1/traces", content=chunks(), headers=PROTOBUF)
    assert r.status_code == 413


async def test_a_gzip_bomb_is_413_without_inflating_it(client: httpx.AsyncClient) -> None:
    bomb = _bomb(256 << 20)
    assert len(bomb) < 300_000
    tracemalloc.start()
    try:
        r = await _post(client, bomb, **PROTOBUF, **{"Content-Encoding": "gzip"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 413
    assert "after decompression" in r.json()["error"]["message"]
    # The body (0.3 MB) plus at most the cap inflated, not 256 MB.
    assert peak < 8 << 20, peak


@pytest.mark.parametrize(
    "body",
    [b"not gzip at all", gzip.compress(b"\x0a\x00" * 100)[:-12]],
    ids=["garbage", "truncated"],
)
async def test_corrupt_gzip_is_400(client: httpx.AsyncClient, body: bytes) -> None:
    r = await _post(client, body, **PROTOBUF, **{"Content-Encoding": "gzip"})
    assert r.status_code == 400
    assert "gzip" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (PROTOBUF, b"\xff\xff\xff\xff garbage"),
        (PROTOBUF, b"\x0a\xff\xff\xff\x0f"),
        (JSON, b"{not json"),
        (JSON, b""),
        (JSON, b'{"resourceSpans": 7}'),
        (JSON, b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 5}]}]}]}'),
        (JSON, b"\xff\xfe invalid utf-8"),
        (JSON, b"[" * 10_000 + b"]" * 10_000),
    ],
    ids=[
        "garbage",
        "bad-length",
        "json-syntax",
        "json-empty",
        "json-type",
        "json-field",
        "bad-utf8",
        "deep",
    ],
)
async def test_undecodable_bodies_are_400(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes
) -> None:
    r = await _post(client, body, **headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"]


async def test_an_empty_protobuf_request_is_fine(client: httpx.AsyncClient) -> None:
    r = await _post(client, b"", **PROTOBUF)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(r.content)
    assert answer.partial_success.rejected_spans == 0


async def test_gzip_protobuf_is_read(client: httpx.AsyncClient) -> None:
    body = gzip.compress(ExportTraceServiceRequest().SerializeToString())
    r = await _post(client, body, **PROTOBUF, **{"Content-Encoding": "gzip"})
    assert r.status_code == 200


async def test_json_answers_in_json(client: httpx.AsyncClient) -> None:
    r = await _post(
        client, b'{"resourceSpans": []}', **{"Content-Type": "application/json; charset=utf-8"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {}


async def test_backpressure_is_503_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    release = anyio.Event()

    async def held() -> AsyncIterator[bytes]:
        await release.wait()
        yield b""

    results: list[int] = []

    async def slow() -> None:
        r = await client.post("/v1/traces", content=held(), headers=PROTOBUF)
        results.append(r.status_code)

    async with anyio.create_task_group() as tg:
        tg.start_soon(slow)
        tg.start_soon(slow)
        with anyio.fail_after(5):
            while app.state.agentreel.ingesting < 2:
                await anyio.sleep(0.01)
        busy = await _post(client, b"", **PROTOBUF)
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "3"
        assert busy.json()["error"]["type"] == "Busy"
        release.set()
    assert results == [200, 200]
    # The slots are free again.
    assert (await _post(client, b"", **PROTOBUF)).status_code == 200
    metrics = (await client.get("/metrics")).text
    assert 'agentreel_ingest_requests_rejected_total{reason="backpressure"} 1.0' in metrics
    assert "agentreel_ingest_in_flight 0.0" in metrics


async def test_rejections_are_counted_by_reason(client: httpx.AsyncClient) -> None:
    await _post(client, b"x", **{"Content-Type": "text/plain"})
    await _post(client, bytes(CAP + 1), **PROTOBUF)
    await _post(client, b"{", **JSON)
    text = (await client.get("/metrics")).text
    for reason in ("unsupported_media_type", "too_large", "bad_request"):
        assert f'agentreel_ingest_requests_rejected_total{{reason="{reason}"}} 1.0' in text, reason


async def test_a_closed_store_is_503_not_500(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "gone.db")
    app = create_app(store, settings=ServerSettings())
    store.close()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        r = await client.get("/api/sessions")
    assert r.status_code == 503


async def test_a_partly_bad_json_batch_is_200_with_partial_success(
    client: httpx.AsyncClient, store: SQLiteStore
) -> None:
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "chat gpt-4o",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.conversation.id", "value": {"stringValue": "json-conv"}},
        ],
    }
    bad = {**span, "spanId": "", "name": "no span id"}
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [span, bad]}]}]}
    r = await _post(client, orjson.dumps(body), **JSON)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    partial = r.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert partial["errorMessage"]
    assert store.count_sessions() == 1


async def test_secrets_in_ingested_spans_are_masked_before_storing(
    client: httpx.AsyncClient, store: SQLiteStore
) -> None:
    secret = "sk-live-0123456789abcdefghijklmnop"
    messages = [{"role": "user", "parts": [{"type": "text", "content": f"my key is {secret}"}]}]
    span = {
        "traceId": "6b8efff798038103d269b633813fc60c",
        "spanId": "aee19b7ec3c1b174",
        "name": "chat gpt-4o",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {
                "key": "gen_ai.input.messages",
                "value": {"stringValue": orjson.dumps(messages).decode()},
            },
            {"key": "api_key", "value": {"stringValue": secret}},
        ],
    }
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    r = await _post(client, orjson.dumps(body), **JSON)
    assert r.status_code == 200, r.text
    (summary,) = store.list_sessions()
    (step,) = store.get_steps(summary.session.id)
    assert step.input_ref is not None
    payload = orjson.dumps(load_payload(store, step.input_ref))
    assert b"my key is [REDACTED]" in payload
    assert step.attributes["api_key"] == "[REDACTED]"
    with sqlite3.connect(store.location) as raw:
        blobs = b"".join(bytes(b) for (b,) in raw.execute("SELECT bytes FROM blobs"))
    assert blobs and secret.encode() not in blobs


async def test_the_session_id_the_spans_gave_is_kept_in_the_metadata(
    client: httpx.AsyncClient, store: SQLiteStore
) -> None:
    # The server redacts what it stores; the conversation id is no secret and
    # must not be masked for its metadata key's name.
    body = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "6b8efff798038103d269b633813fc60c",
                                "spanId": "aee19b7ec3c1b175",
                                "name": "chat gpt-4o",
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000001000000000",
                                "attributes": [
                                    {
                                        "key": "gen_ai.conversation.id",
                                        "value": {"stringValue": "conv-77"},
                                    }
                                ],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    r = await _post(client, orjson.dumps(body), **JSON)
    assert r.status_code == 200, r.text
    (summary,) = store.list_sessions()
    assert summary.session.metadata["otel.session_id"] == "conv-77"
    assert summary.session.metadata["otel.session_id_attribute"] == "gen_ai.conversation.id"
