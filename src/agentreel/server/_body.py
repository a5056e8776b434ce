"""Reading a request body under a size cap, inflating gzip as it arrives.

The cap applies to the bytes *after* decompression, and decompression is
incremental with a bounded output per step, so a small gzip bomb is refused
once it has inflated just past the cap, never expanded whole in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


class BodyTooLarge(Exception):
    """The body is larger than the cap (after decompression)."""


class BadEncoding(Exception):
    """The body is not valid gzip/deflate data."""


class _Inflater:
    """Inflates a stream of compressed chunks, never producing more than ``limit``."""

    def __init__(self, encoding: str, limit: int) -> None:
        # wbits 16+MAX: gzip framing; MAX: zlib-wrapped deflate (what HTTP calls deflate).
        self._wbits = zlib.MAX_WBITS | (16 if encoding in ("gzip", "x-gzip") else 0)
        self._new = True
        self._d = zlib.decompressobj(self._wbits)
        self._limit = limit
        self.out = bytearray()

    def feed(self, chunk: bytes) -> None:
        data = chunk
        while data:
            if self._d.eof:
                # Concatenated gzip members are one valid gzip stream.
                self._d = zlib.decompressobj(self._wbits)
            room = self._limit - len(self.out) + 1
            try:
                self.out += self._d.decompress(data, room)
            except zlib.error as exc:
                raise BadEncoding(str(exc)) from None
            self._new = False
            if len(self.out) > self._limit:
                raise BodyTooLarge
            data = self._d.unconsumed_tail or (self._d.unused_data if self._d.eof else b"")

    def finish(self) -> bytes:
        if not self._new and not self._d.eof:
            raise BadEncoding("the compressed body ends before its end marker")
        return bytes(self.out)


async def read_body(chunks: AsyncIterator[bytes], *, encoding: str, limit: int) -> bytes:
    """The whole body, inflated; ``BodyTooLarge`` past ``limit``, ``BadEncoding`` if corrupt.

    The compressed size is capped at ``limit`` too: compression never makes
    a valid OTLP body larger.
    """
    received = 0
    inflater = None if encoding in ("", "identity") else _Inflater(encoding, limit)
    plain = bytearray()
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge
        if inflater is None:
            plain += chunk
        elif chunk:
            inflater.feed(chunk)
    return bytes(plain) if inflater is None else inflater.finish()
