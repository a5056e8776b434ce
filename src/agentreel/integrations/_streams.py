"""Response byte streams: recording a live body, and playing a recorded one back.

A client accepts a response body only as an instance of its own library's
``SyncByteStream`` / ``AsyncByteStream``, and ``httpx`` and ``httpx2`` each
have their own. So the streams here are written once, as mixins, and
:func:`bound` makes (and caches) the concrete class for a library's base.
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._capture import Capture
    from ._record import Chunk


@functools.cache
def bound(mixin: type, base: type) -> Callable[..., Any]:
    """The class ``mixin`` on top of a library's stream ``base`` class."""
    return type(mixin.__name__, (mixin, base), {"__module__": mixin.__module__})


class SyncCaptureStream:
    """Passes a live body on to the client, noting each piece on the way."""

    def __init__(self, source: Iterator[bytes], close: Callable[[], None], capture: Capture):
        self._source = source
        self._close = close
        self._capture = capture

    def __iter__(self) -> Iterator[bytes]:
        capture = self._capture
        try:
            for chunk in self._source:
                capture.add(chunk)
                yield chunk
        except GeneratorExit:  # the client stopped reading: not a failure
            capture.finish()
            raise
        except BaseException as exc:
            capture.finish(exc)
            raise
        capture.finish()

    def close(self) -> None:
        try:
            close_source = getattr(self._source, "close", None)
            if close_source is not None:
                close_source()
            self._close()
        finally:
            self._capture.finish()


class AsyncCaptureStream:
    """The async :class:`SyncCaptureStream`."""

    def __init__(
        self,
        source: AsyncIterator[bytes],
        aclose: Callable[[], Awaitable[None]],
        capture: Capture,
    ):
        self._source = source
        self._aclose = aclose
        self._capture = capture

    async def __aiter__(self) -> AsyncIterator[bytes]:
        capture = self._capture
        try:
            async for chunk in self._source:
                capture.add(chunk)
                yield chunk
        except GeneratorExit:
            capture.finish()
            raise
        except BaseException as exc:
            capture.finish(exc)
            raise
        capture.finish()

    async def aclose(self) -> None:
        try:
            close_source = getattr(self._source, "aclose", None)
            if close_source is not None:
                await close_source()
            await self._aclose()
        finally:
            self._capture.finish()


class SyncReplayStream:
    """Yields recorded chunks; with ``keep_timing``, each at its recorded time.

    Times count from the stream's creation, which stands for the moment the
    request was sent, as they did when they were recorded.
    """

    def __init__(self, chunks: tuple[Chunk, ...], keep_timing: bool):
        self._chunks = chunks
        self._keep_timing = keep_timing
        self._start = time.perf_counter()

    def __iter__(self) -> Iterator[bytes]:
        start = self._start
        for ms, data in self._chunks:
            if self._keep_timing:
                wait = start + ms / 1000 - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            yield data

    def close(self) -> None:
        pass


class AsyncReplayStream:
    """The async :class:`SyncReplayStream`."""

    def __init__(self, chunks: tuple[Chunk, ...], keep_timing: bool):
        self._chunks = chunks
        self._keep_timing = keep_timing
        self._start = time.perf_counter()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        start = self._start
        for ms, data in self._chunks:
            if self._keep_timing:
                wait = start + ms / 1000 - time.perf_counter()
                if wait > 0:
                    # anyio, not asyncio: the clients also run under trio.
                    import anyio

                    await anyio.sleep(wait)
            yield data

    async def aclose(self) -> None:
        pass
