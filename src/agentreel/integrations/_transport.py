"""Capturing one request: the step, the answer or the live call, the recorded response.

:func:`send` and :func:`send_async` do the work for both ways in: the patched
``HTTPTransport`` methods (``instrument()``) and the explicit transports
below. A request is captured only when it comes from the openai or anthropic
SDK (see ``recognise``) and recording is on; anything else goes to the inner
transport untouched.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import orjson

from agentreel.errors import AgentreelError, ConfigurationError
from agentreel.recording import StepHandle, step

from ._capture import captured_async_response, captured_response, contain
from ._lib import base_library, library_of
from ._replay import answered_response
from ._request import normalise_request, operation, recognise, requested_model

if TYPE_CHECKING:
    import httpx2
    from httpx2 import AsyncBaseTransport as _AsyncBase
    from httpx2 import BaseTransport as _SyncBase
else:
    _SyncBase = base_library().BaseTransport
    _AsyncBase = base_library().AsyncBaseTransport

# Set while a captured request is inside its inner transport, so that a
# recording transport around a patched one records the call once, not twice.
_capturing: ContextVar[bool] = ContextVar("agentreel_http_capturing", default=False)


def _open(request: httpx2.Request) -> StepHandle | None:
    """The (not yet started) step for ``request``, or None if it is not captured."""
    handle = step("llm", "http")
    if not isinstance(handle, StepHandle) or _capturing.get():
        return None  # recording is off (one check, before anything else), or nested
    vendor = recognise(request)
    if vendor is None:
        return None
    handle.name = operation(vendor, request.url.path)
    return handle


def _start(handle: StepHandle, request: httpx2.Request, content: bytes) -> bool:
    """Start ``handle`` with the normalised request; False if that failed (counted).

    The step starts in a copy of the current context: it must not be the
    current step of the caller, which gets the response back and may go on to
    record other steps (tool calls, say) while it is still reading the stream.
    An interceptor's :class:`AgentreelError` (a strict replay's divergence)
    reaches the caller.
    """
    try:
        normalised = normalise_request(request, content)
        handle.set_input(normalised)
        handle.set_model(requested_model(normalised))
    except Exception as exc:
        contain(handle, "normalising an HTTP request failed", exc)
        return False
    try:
        contextvars.copy_context().run(handle.start)
    except AgentreelError:
        raise
    except Exception as exc:
        contain(handle, "starting an HTTP step failed", exc)
        return False
    return True


def _edited(handle: StepHandle, request: Any, arguments: Mapping[str, Any]) -> Any:
    """``request`` with ``arguments`` merged into its JSON body, to be sent live.

    A replay fork that edits a model call's input (``Answer.arguments``) names
    request body fields (``messages``, ``temperature``, ...); the call then goes
    to the network with them, and the step's input shows what was really sent.
    """
    try:
        body = orjson.loads(request.content or b"{}")
    except orjson.JSONDecodeError as exc:
        raise ConfigurationError(
            "cannot edit this model call's input: its request body is not JSON"
        ) from exc
    if not isinstance(body, dict):
        raise ConfigurationError("cannot edit this model call's input: its body is not an object")
    body.update(arguments)
    content = orjson.dumps(body)
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    edited = type(request)(
        request.method, request.url, headers=headers, content=content, extensions=request.extensions
    )
    handle.set_input(normalise_request(edited, content))
    return edited


def _edit_or_end(handle: StepHandle, request: Any, arguments: Mapping[str, Any]) -> Any:
    try:
        return _edited(handle, request, arguments)
    except BaseException as exc:
        handle.finish(exc)
        raise


def send(
    request: httpx2.Request,
    inner: Callable[[httpx2.Request], httpx2.Response],
    *,
    keep_timing: bool = False,
) -> httpx2.Response:
    """Send ``request`` through ``inner``, capturing it (or answering it) when it qualifies."""
    handle = _open(request)
    if handle is None or not _start(handle, request, request.read()):
        return inner(request)
    if handle.answer is not None:
        if handle.answer.arguments is None:
            return answered_response(
                handle, handle.answer, request, keep_timing=keep_timing, is_async=False
            )
        request = _edit_or_end(handle, request, handle.answer.arguments)
    started = time.perf_counter()
    token = _capturing.set(True)
    try:
        response = inner(request)
    except BaseException as exc:
        handle.finish(exc)
        raise
    finally:
        _capturing.reset(token)
    return captured_response(handle, request, response, started)


async def send_async(
    request: httpx2.Request,
    inner: Callable[[httpx2.Request], Awaitable[httpx2.Response]],
    *,
    keep_timing: bool = False,
) -> httpx2.Response:
    """The async :func:`send`."""
    handle = _open(request)
    if handle is None or not _start(handle, request, await request.aread()):
        return await inner(request)
    if handle.answer is not None:
        if handle.answer.arguments is None:
            return answered_response(
                handle, handle.answer, request, keep_timing=keep_timing, is_async=True
            )
        request = _edit_or_end(handle, request, handle.answer.arguments)
    started = time.perf_counter()
    token = _capturing.set(True)
    try:
        response = await inner(request)
    except BaseException as exc:
        handle.finish(exc)
        raise
    finally:
        _capturing.reset(token)
    return captured_async_response(handle, request, response, started)


class RecordingTransport(_SyncBase):
    """A transport that records the openai/anthropic calls sent through it.

    For clients you build yourself, without :func:`instrument`::

        http = httpx2.Client(transport=RecordingTransport())
        client = openai.OpenAI(http_client=http)

    ``inner`` is the transport that really sends requests; by default a plain
    ``HTTPTransport`` of the library the first request comes from. With
    ``keep_timing`` a replayed stream delivers its chunks at their recorded
    times instead of at once.
    """

    def __init__(self, inner: Any = None, *, keep_timing: bool = False) -> None:
        self.inner = inner
        self.keep_timing = keep_timing
        self._lock = threading.Lock()

    def _inner(self, request: httpx2.Request) -> Any:
        with self._lock:
            if self.inner is None:
                self.inner = library_of(request).HTTPTransport()
            return self.inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        inner = self._inner(request)
        return send(request, inner.handle_request, keep_timing=self.keep_timing)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


class AsyncRecordingTransport(_AsyncBase):
    """The async :class:`RecordingTransport`, for ``httpx2.AsyncClient(transport=...)``."""

    def __init__(self, inner: Any = None, *, keep_timing: bool = False) -> None:
        self.inner = inner
        self.keep_timing = keep_timing
        self._lock = threading.Lock()

    def _inner(self, request: httpx2.Request) -> Any:
        with self._lock:
            if self.inner is None:
                self.inner = library_of(request).AsyncHTTPTransport()
            return self.inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        inner = self._inner(request)
        return await send_async(request, inner.handle_async_request, keep_timing=self.keep_timing)

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()
