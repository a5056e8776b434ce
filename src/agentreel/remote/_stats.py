"""Counters of what the remote store sent, kept, and lost, by reason."""

from __future__ import annotations

import logging
import threading
from collections import Counter

logger = logging.getLogger("agentreel.remote")

#: Counters always present in ``RemoteStore.stats()``; see docs/export.md.
REASONS = (
    "spans_spooled",  # spans written to the spool (a step's running and ended copies count twice)
    "batches_spooled",  # spool files written
    "spans_sent",  # spans the server accepted (acknowledged and not rejected)
    "batches_sent",  # HTTP requests the server acknowledged
    "retried",  # requests that failed and were tried again later
    "rejected_by_server",  # spans a 2xx answer's partial_success said were rejected
    "dropped_spool_full",  # spans not spooled because the spool was at its size limit
    "dropped_rejected",  # spans in batches the server refused for good (4xx); see dropped_http_*
    "spool_errors",  # spans whose spool file could not be written
    "dropped_unreadable",  # spooled spans whose file could not be read back
    "encode_errors",  # spans that could not be built
    "payload_missing",  # payloads sent as their digest only (blobs not at hand)
    "truncated",  # payload attributes cut to the size limit
    "left_in_spool",  # spans still spooled when close() returned (sent by the next run)
    "sender_errors",  # unexpected errors in the sender thread (a bug; it keeps going)
)


class RemoteStats:
    """Thread-safe counters; the first time each loss happens it is logged once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._logged: set[str] = set()

    def add(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self._counts[reason] += n

    def set(self, reason: str, n: int) -> None:
        with self._lock:
            self._counts[reason] = n

    def loss(self, reason: str, n: int = 1, detail: str = "", *, kind: str | None = None) -> None:
        """Count ``n`` under ``reason``; log once per ``kind`` (default: the reason)."""
        kind = kind or reason
        with self._lock:
            self._counts[reason] += n
            first = kind not in self._logged
            self._logged.add(kind)
        if first:
            logger.warning(
                "agentreel export: %s%s; see RemoteStore.stats() for counts",
                reason,
                f": {detail}" if detail else "",
            )

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            out = dict.fromkeys(REASONS, 0)
            out.update(self._counts)
            return out
