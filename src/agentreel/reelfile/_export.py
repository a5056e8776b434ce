"""Writing sessions from a store into a reel file."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from agentreel.storage import Store

from ._io import Sink, Source, open_dest
from ._migrate import REEL_FORMAT_VERSION
from ._payloads import reachable
from ._read import MAGIC
from ._records import blob_record, session_record, step_record


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportSummary:
    """What :func:`export_reel` wrote; ``bytes`` is the file size (compressed if gzip)."""

    sessions: int
    steps: int
    blobs: int
    bytes: int


def export_reel(
    store: Store,
    session_ids: Sequence[str],
    dest: Source,
    *,
    compress: bool | None = None,
) -> ExportSummary:
    """Write the sessions with these full ids, with every payload blob they use.

    ``dest`` is a path or a binary stream. ``compress=None`` gzips a path whose
    name ends in ``.gz`` and nothing else. A blob shared by several sessions is
    written once. Raises ``UnknownSession`` for an id the store does not have
    (resolve prefixes first with ``store.resolve_session_id``) and
    ``MissingPayload`` if the store lacks a blob a step refers to; in either
    case nothing is written at a path ``dest``.
    """
    if isinstance(session_ids, str):
        # A str is a Sequence[str] too; iterating it would look up one-letter ids.
        raise TypeError("session_ids must be a sequence of session ids, not one string")
    # Read everything the file names before writing a byte: an unknown id
    # fails here, and the file never reflects half a request.
    ids = list(dict.fromkeys(session_ids))
    sessions = [store.get_session(i) for i in ids]
    written: set[str] = set()
    counts = {"session": 0, "step": 0, "blob": 0}
    with open_dest(dest, compress) as (out, counter):
        _write(out, _header())
        for session in sessions:
            steps = store.get_steps(session.id)
            roots = [ref for s in steps for ref in (s.input_ref, s.output_ref) if ref]
            blobs = reachable(store.get_blobs, roots, written)
            _write(out, session_record(session))
            for step in steps:
                _write(out, step_record(step))
            for digest, data in blobs:
                _write(out, blob_record(digest, data))
            counts["session"] += 1
            counts["step"] += len(steps)
            counts["blob"] += len(blobs)
        _write(out, {"type": "end", "counts": counts})
    return ExportSummary(
        sessions=counts["session"],
        steps=counts["step"],
        blobs=counts["blob"],
        bytes=counter.count,
    )


def _header() -> dict[str, Any]:
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "type": "header",
        "magic": MAGIC,
        "format": REEL_FORMAT_VERSION,
        "created_at": now,
        "producer": f"agentreel {_version()}",
    }


def _version() -> str:
    from agentreel._version import installed_version

    return installed_version()


def _write(out: Sink, record: dict[str, Any]) -> None:
    out.write(orjson.dumps(record) + b"\n")
