"""Counters of what the remote store sent, kept, and lost, by reason."""

from __future__ import annotations

import logging

from agentreel.recording import Counters

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


class RemoteStats(Counters):
    """The remote store's counters; the first time each loss happens it is logged once."""

    reasons = REASONS
    log = logger
    lost = "agentreel export: %s%s; see RemoteStore.stats() for counts"
