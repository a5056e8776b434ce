"""``POST /v1/traces``: OTLP/HTTP in, protobuf or JSON, gzip or not.

The answers follow the OTLP/HTTP specification: 200 with ``partial_success``
when some spans were rejected, 400 for a body that cannot be decoded, 413
above the size cap (after decompression), 415 for a content type or encoding
we do not speak, and 503 with ``Retry-After`` when this process already runs
``max_ingests`` requests, which exporters retry after the delay. Bad input is
never a 500.
"""

from __future__ import annotations

import time

import orjson
from fastapi import APIRouter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.requests import Request
from starlette.responses import Response

from agentreel import otel
from agentreel.errors import StoreError
from agentreel.recording import Redactor

from ._body import ENCODINGS, BadEncoding, BodyTooLarge, read_body
from ._state import AppState, app_state, error, in_thread, key_project

router = APIRouter()

PROTOBUF = "application/x-protobuf"
JSON_TYPE = "application/json"
#: Content types we accept; the OTLP specification names the first two.
MEDIA_TYPES = {PROTOBUF: PROTOBUF, JSON_TYPE: JSON_TYPE, "application/protobuf": PROTOBUF}


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _success(media: str, rejected: int, message: str) -> Response:
    if media == PROTOBUF:
        answer = ExportTraceServiceResponse()
        if rejected or message:
            answer.partial_success.rejected_spans = rejected
            answer.partial_success.error_message = message
        return Response(answer.SerializeToString(), media_type=PROTOBUF)
    # OTLP/JSON is the protobuf JSON mapping: lowerCamelCase keys, int64 as a string.
    body: dict[str, object] = {}
    if rejected or message:
        body["partialSuccess"] = {"rejectedSpans": str(rejected), "errorMessage": message}
    return Response(orjson.dumps(body), media_type=JSON_TYPE)


def _refuse(state: AppState, status: int, reason: str, message: str) -> Response:
    state.metrics.requests_rejected.labels(reason).inc()
    kind = {413: "PayloadTooLarge", 415: "UnsupportedMediaType"}.get(status, "BadRequest")
    return error(status, kind, message)


@router.post(
    "/v1/traces",
    summary="Ingest OTLP/HTTP traces",
    response_class=Response,
    responses={
        200: {"description": "Stored (``partial_success`` says how many spans were rejected)"},
        400: {"description": "The body cannot be decoded"},
        401: {"description": "No valid API key (with auth on)"},
        413: {"description": "The body is larger than the cap, after decompression"},
        415: {"description": "Unsupported content type or encoding"},
        503: {"description": "Too many ingests at once; retry after Retry-After seconds"},
    },
)
async def ingest_traces(request: Request) -> Response:
    """Store the spans of an OTLP ``ExportTraceServiceRequest``."""
    state = app_state(request)
    media = MEDIA_TYPES.get(_media_type(request))
    if media is None:
        return _refuse(
            state,
            415,
            "unsupported_media_type",
            f"unsupported content type {_media_type(request) or '(none)'!r}: "
            f"send {PROTOBUF} or {JSON_TYPE}",
        )
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ENCODINGS:
        return _refuse(
            state,
            415,
            "unsupported_media_type",
            f"unsupported content encoding {encoding!r}: send gzip or no encoding",
        )
    settings = state.settings
    if state.ingesting >= settings.max_ingests:
        state.metrics.requests_rejected.labels("backpressure").inc()
        return error(
            503,
            "Busy",
            f"the server is storing {state.ingesting} batches already; retry after "
            f"{settings.retry_after} s",
            **{"Retry-After": str(settings.retry_after)},
        )
    state.ingesting += 1
    state.metrics.in_flight.inc()
    try:
        return await _ingest(request, state, media, encoding)
    finally:
        state.ingesting -= 1
        state.metrics.in_flight.dec()


async def _ingest(request: Request, state: AppState, media: str, encoding: str) -> Response:
    limit = state.settings.max_body
    declared = request.headers.get("content-length", "")
    too_large = f"the request body is larger than {limit} bytes (after decompression)"
    if declared.isdigit() and int(declared) > limit:
        return _refuse(state, 413, "too_large", too_large)
    started = time.perf_counter()
    try:
        body = await read_body(request.stream(), encoding=encoding, limit=limit)
    except BodyTooLarge:
        return _refuse(state, 413, "too_large", too_large)
    except BadEncoding as exc:
        return _refuse(state, 400, "bad_request", f"the body is not valid {encoding}: {exc}")
    state.metrics.bytes.inc(len(body))
    try:
        decoded = await in_thread(otel.decode_request, body, media)
    except otel.BadRequest as exc:
        reason = "unsupported_media_type" if exc.status == 415 else "bad_request"
        return _refuse(state, exc.status, reason, str(exc))
    except RecursionError:
        # Deeply nested JSON: bad input, never a 500.
        return _refuse(state, 400, "bad_request", "the body is nested too deeply to read")
    project = key_project(request)
    try:
        # Secrets are masked before anything is stored, as the SDK does; a
        # redactor per request (its counters are not shared between threads).
        report = await in_thread(
            otel.ingest, state.store, decoded, project=project, redactor=Redactor()
        )
    except StoreError as exc:
        # The database, not the data: say so, and let the exporter retry.
        return error(
            503,
            "StoreUnavailable",
            str(exc),
            **{"Retry-After": str(state.settings.retry_after)},
        )
    state.metrics.observe_ingest(report, project or "(spans)", time.perf_counter() - started)
    return _success(media, report.rejected, report.message)
