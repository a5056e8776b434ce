"""Sessions with fixed ids and times, written as WriteBatch objects to real SQLite."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentreel.model import ErrorInfo, Session, Status, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.storage import SQLiteStore, WriteBatch

MS = 1_000_000
#: 2025-01-02 14:03:05 UTC
T0 = int(dt.datetime(2025, 1, 2, 14, 3, 5, tzinfo=dt.UTC).timestamp()) * 1000 * MS

_UNSET: Any = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class S:
    """One step to write: what a test cares about, the rest filled in."""

    kind: str
    name: str
    input: Any = _UNSET
    output: Any = _UNSET
    parent: int | None = None
    status: str = "ok"
    error: ErrorInfo | None = None
    model: str | None = None
    tokens: tuple[int, int] = (0, 0)
    cost: float | None = None


def batch(session_id: str, name: str, steps: list[S], *, offset_ms: int = 0) -> WriteBatch:
    """A session whose steps start 10 ms apart (from ``T0 + offset_ms``) and last 5 ms."""
    encoder = PayloadEncoder()
    blobs: dict[str, bytes] = {}
    rows: list[StepRow] = []
    start = T0 + offset_ms * MS

    def ref(value: Any) -> str | None:
        if value is _UNSET:
            return None
        encoded = encoder.encode(value)
        blobs.update(encoded.blobs)
        return encoded.root

    for number, spec in enumerate(steps, start=1):
        began = start + 10 * number * MS
        rows.append(
            StepRow(
                session_id=session_id,
                number=number,
                span_id=f"{session_id[:8]}{number:08x}",
                parent_number=spec.parent,
                parent_span_id=None
                if spec.parent is None
                else f"{session_id[:8]}{spec.parent:08x}",
                kind=spec.kind,
                name=spec.name,
                status=spec.status,
                started_at=began,
                ended_at=began + 5 * MS,
                attributes={},
                model=spec.model,
                tokens_in=spec.tokens[0],
                tokens_out=spec.tokens[1],
                tokens_cached=0,
                tokens_reasoning=0,
                cost=spec.cost,
                input_ref=ref(spec.input),
                output_ref=ref(spec.output),
                error=spec.error,
            )
        )
    failed = any(s.status == "error" for s in steps)
    session = Session(
        id=session_id,
        name=name,
        status=Status.ERROR if failed else Status.OK,
        started_at=start,
        ended_at=start + 10 * (len(steps) + 1) * MS,
    )
    return WriteBatch(sessions=[session], steps=rows, blobs=blobs)


def write(path: Path, *batches: WriteBatch) -> Path:
    store = SQLiteStore(path)
    try:
        for b in batches:
            store.write(b)
    finally:
        store.close()
    return path
