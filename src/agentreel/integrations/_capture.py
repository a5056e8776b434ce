"""Recording a live response while the client reads it.

The response the inner transport returned is handed to the client with its
body wrapped: every piece the client reads is noted (with the time it
arrived) on its way through. The step ends when the body has been read to
the end, when the client closes the response, or when reading fails — so a
stream the program reads slowly is recorded while it is read, and a response
the client never reads is never read by agentreel either.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from agentreel.recording import StepHandle

from ._lib import library_of
from ._record import ResponseRecord, is_event_stream, kept_headers
from ._streams import AsyncCaptureStream, SyncCaptureStream, bound
from ._usage import apply_usage, read_usage

if TYPE_CHECKING:
    import httpx2


def contain(step: StepHandle, what: str, exc: Exception) -> None:
    """Count a failure of agentreel's own code; the host program must not see it."""
    stats = getattr(getattr(step, "_rec", None), "stats", None)
    if stats is not None:
        stats.loss("hook_errors", detail=f"{what}: {exc!r}")


class Capture:
    """What has been read of one response so far, and the step it belongs to."""

    __slots__ = ("_done", "_headers", "_parts", "_started", "_status", "_stream", "step")

    def __init__(self, step: StepHandle, response: httpx2.Response, started: float) -> None:
        self.step = step
        self._status = response.status_code
        raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
        self._headers = kept_headers(raw)
        self._stream = is_event_stream(raw)
        self._started = started
        self._parts: list[tuple[float, bytes]] = []
        self._done = False

    def add(self, data: bytes) -> None:
        if data:
            ms = round((time.perf_counter() - self._started) * 1000, 3)
            self._parts.append((ms, data))

    def record(self) -> ResponseRecord:
        if self._stream:
            return ResponseRecord(
                status=self._status, headers=self._headers, chunks=tuple(self._parts)
            )
        body = b"".join(data for _, data in self._parts)
        return ResponseRecord(status=self._status, headers=self._headers, body=body)

    def finish(self, exc: BaseException | None = None) -> None:
        """End the step with what was read; ``exc`` if reading failed. Runs once."""
        if self._done:
            return
        self._done = True
        step = self.step
        try:
            record = self.record()
            step.set_output(record.to_json())
            apply_usage(step, read_usage(record))
        except Exception as err:
            contain(step, "recording an HTTP response failed", err)
        step.finish(exc)


def _client_headers(response: httpx2.Response) -> list[tuple[bytes, bytes]]:
    # The body is handed on decoded, so a content-encoding (and the length of
    # the encoded body) no longer describes it.
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return list(response.headers.raw)
    dropped = (b"content-encoding", b"content-length")
    return [(k, v) for k, v in response.headers.raw if k.lower() not in dropped]


def captured_response(
    step: StepHandle, request: httpx2.Request, response: httpx2.Response, started: float
) -> httpx2.Response:
    """The response for a sync client: ``response`` with its body recorded as it is read."""
    lib = library_of(response)
    capture = Capture(step, response, started)
    response.request = request
    source: Iterator[bytes] = response.iter_bytes()
    stream = bound(SyncCaptureStream, lib.SyncByteStream)(source, response.close, capture)
    return lib.Response(  # type: ignore[no-any-return]
        status_code=response.status_code,
        headers=_client_headers(response),
        stream=stream,
        extensions=response.extensions,
    )


def captured_async_response(
    step: StepHandle, request: httpx2.Request, response: httpx2.Response, started: float
) -> httpx2.Response:
    """The response for an async client: ``response`` with its body recorded as it is read."""
    lib = library_of(response)
    capture = Capture(step, response, started)
    response.request = request
    source: AsyncIterator[bytes] = response.aiter_bytes()
    stream = bound(AsyncCaptureStream, lib.AsyncByteStream)(source, response.aclose, capture)
    return lib.Response(  # type: ignore[no-any-return]
        status_code=response.status_code,
        headers=_client_headers(response),
        stream=stream,
        extensions=response.extensions,
    )
