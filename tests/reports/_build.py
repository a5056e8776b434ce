"""Small sessions with fixed ids and times, written to real SQLite files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentreel.model import ErrorInfo, Session, Status, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.storage import SQLiteStore, WriteBatch

MS = 1_000_000
DAY = 86_400_000 * MS
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
    attributes: dict[str, Any] = field(default_factory=dict)


def err(type_: str, message: str) -> ErrorInfo:
    return ErrorInfo(type=type_, message=message, traceback=f"Traceback...\n{type_}: {message}\n")


def batch(
    session_id: str,
    name: str,
    steps: list[S],
    *,
    offset_ms: int = 0,
    project: str = "default",
    status: Status | None = None,
    error: ErrorInfo | None = None,
) -> WriteBatch:
    """A session whose steps start 10 ms apart (from ``T0 + offset_ms``) and last 5 ms.

    Its status is ``error`` when a step failed, unless ``status`` says otherwise.
    """
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
                attributes=spec.attributes,
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
        project=project,
        status=status if status is not None else Status.ERROR if failed else Status.OK,
        started_at=start,
        ended_at=start + 10 * (len(steps) + 1) * MS,
        error=error,
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


def openai_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """An OpenAI chat completion whose answer is one tool call."""
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return {"object": "chat.completion", "choices": [{"index": 0, "message": message}]}


def anthropic_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """An Anthropic message whose answer is some text and one tool use."""
    return {
        "type": "message",
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Running it."},
            {"type": "tool_use", "id": call_id, "name": name, "input": arguments},
        ],
    }
