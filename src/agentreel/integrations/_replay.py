"""Answering a captured call from the recording instead of the network.

Replay (or anything else installed as the recorder's interceptor) answers a
step by setting ``step.answer`` when the step starts. For a captured call the
answer's output is a response record (see ``_record.py``); it becomes an
``httpx`` response built from the record, with the classes of the library the
request came from, and the inner transport is never called. An answer with an
exception raises it, as the transport would have raised a connection error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentreel.recording import Answer, StepHandle

from ._lib import library_of
from ._record import ResponseRecord, ResponseRecordError
from ._streams import AsyncReplayStream, SyncReplayStream, bound
from ._usage import apply_usage, read_usage

if TYPE_CHECKING:
    import httpx2


def answered_response(
    step: StepHandle,
    answer: Answer,
    request: httpx2.Request,
    *,
    keep_timing: bool,
    is_async: bool,
) -> httpx2.Response:
    """End ``step`` with ``answer`` and build the response the client gets from it."""
    exc = answer.exception
    if exc is not None:
        step.finish(exc)
        raise exc
    try:
        record = ResponseRecord.from_json(answer.output)
    except ResponseRecordError as err:
        step.finish(err)
        raise
    step.set_output(answer.output)
    apply_usage(step, read_usage(record))
    step.finish()
    lib = library_of(request)
    if record.chunks is None:
        stream = lib.ByteStream(record.body)
    elif is_async:
        stream = bound(AsyncReplayStream, lib.AsyncByteStream)(record.chunks, keep_timing)
    else:
        stream = bound(SyncReplayStream, lib.SyncByteStream)(record.chunks, keep_timing)
    return lib.Response(  # type: ignore[no-any-return]
        status_code=record.status,
        headers=list(record.headers),
        stream=stream,
        request=request,
    )
