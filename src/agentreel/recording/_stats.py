"""Counters of what the recorder did and, above all, what it lost and why."""

from __future__ import annotations

import logging
import threading
from collections import Counter

logger = logging.getLogger("agentreel")

#: Reasons a counter may carry; documented in docs/recording.md.
REASONS = (
    "sessions",  # sessions written
    "steps",  # step rows written (a step written at start and at end counts twice)
    "dropped_queue_full",  # records not queued because the writer fell behind
    "dropped_shutdown",  # records still queued when the exit flush timed out
    "write_errors",  # batches the store refused (their records are lost)
    "encode_errors",  # payloads that could not be encoded (the step is kept without it)
    "redacted",  # secrets masked before storing
    "truncated",  # payload strings cut to the size limit
    "hook_errors",  # internal callbacks that raised (contained)
    "hook_timeouts",  # hooks that overran their time limit (and were disabled)
    "hook_events_dropped",  # events not given to observers because they fell behind
    "control_link_errors",  # failed exchanges with a server carrying the control channel
)


class Counters:
    """Thread-safe counters with a log line the first time each loss happens.

    Subclasses name the counters always present (``reasons``), the logger
    and the sentence a first loss is logged with (``lost``, given the reason
    and the detail); the recorder's :class:`Stats` and the remote store's
    counters are two of them.
    """

    reasons: tuple[str, ...] = REASONS
    log: logging.Logger = logger
    lost = "agentreel lost data (%s)%s; see agentreel.stats() for counts"

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
        """Count ``n`` under ``reason``; log once per ``kind`` (default: the reason).

        Once only, because a loss that happens on every step must not flood
        the host program's logs; the counts say how often.
        """
        kind = kind or reason
        with self._lock:
            self._counts[reason] += n
            first = kind not in self._logged
            self._logged.add(kind)
        if first:
            self.log.warning(self.lost, reason, f": {detail}" if detail else "")

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            out = dict.fromkeys(self.reasons, 0)
            out.update(self._counts)
            return out


class Stats(Counters):
    """The recorder's counters: what it wrote and what it lost, by reason."""
