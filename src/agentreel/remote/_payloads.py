"""Payloads for the wire: blobs remembered across batches, decoded to bounded JSON text.

Steps point at payloads by digest, and a payload's blobs arrive in the batch
that first needed them: a conversation resent with one more message brings
only the new message and a chain node naming the prefix stored earlier. To
put the whole payload into a span we keep the blobs we have seen, bounded by
bytes, least recently used first out. A chain prefix is used by every later
call of its conversation, so it stays; a blob that fell out (or was written
by an earlier process) makes that payload go out as its digest only, counted
as ``payload_missing``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from agentreel.errors import MissingPayload
from agentreel.payloads import decode_payload

from ._stats import RemoteStats


class BlobCache:
    """Digest → blob bytes, bounded by total size, least recently used evicted."""

    def __init__(self, max_bytes: int) -> None:
        self._blobs: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._max = max_bytes

    def add(self, blobs: Mapping[str, bytes]) -> None:
        for digest, data in blobs.items():
            if digest in self._blobs:
                self._blobs.move_to_end(digest)
                continue
            self._blobs[digest] = data
            self._size += len(data)
        while self._size > self._max and self._blobs:
            _, data = self._blobs.popitem(last=False)
            self._size -= len(data)

    def fetch(self, digests: Collection[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for digest in digests:
            data = self._blobs.get(digest)
            if data is not None:
                self._blobs.move_to_end(digest)
                found[digest] = data
        return found


@dataclass(frozen=True, slots=True)
class Decoded:
    """A payload read back: its value, and its JSON text cut to the size limit."""

    value: Any
    text: str
    #: Length in bytes of the full JSON text when ``text`` was cut, else None.
    full_size: int | None


class PayloadReader:
    """Decodes payloads by digest, remembering the last few (a step's running and ended
    rows name the same input, often in consecutive batches)."""

    def __init__(self, blobs: BlobCache, *, max_bytes: int, stats: RemoteStats) -> None:
        self._blobs = blobs
        self._max = max_bytes
        self._stats = stats
        self._recent: OrderedDict[str, Decoded] = OrderedDict()

    def read(self, digest: str) -> Decoded | None:
        hit = self._recent.get(digest)
        if hit is not None:
            self._recent.move_to_end(digest)
            return hit
        try:
            value = decode_payload(digest, self._blobs.fetch)
        except MissingPayload:
            self._stats.loss("payload_missing", detail="a payload's blobs were not in the cache")
            return None
        decoded = self.bounded(value)
        self._recent[digest] = decoded
        if len(self._recent) > 256:
            self._recent.popitem(last=False)
        return decoded

    def bounded(self, value: Any) -> Decoded:
        """``value`` as JSON text of at most ``max_bytes`` (cut, and counted, if longer)."""
        data = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
        if len(data) <= self._max:
            return Decoded(value, data.decode(), None)
        self._stats.loss("truncated", detail=f"a payload over {self._max} bytes was cut")
        # Cut on a character boundary: "ignore" drops a split multi-byte tail.
        return Decoded(value, data[: self._max].decode(errors="ignore"), len(data))
