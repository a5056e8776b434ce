"""Sessions written straight to a store, for data no well-behaved recorder would produce.

Foreign instrumentations, partial imports and old recorders give sessions
with missing payloads, odd shapes and strange attributes; these helpers
write such sessions as they are, through the Store protocol.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from agentreel.model import ErrorInfo, Session, Status, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.storage import Store, WriteBatch

MS = 1_000_000
T0 = 1_767_225_600 * 1000 * MS  # 2026-01-01T00:00:00Z
_UNSET: Any = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class S:
    """One step: what a test cares about, the rest filled in."""

    kind: str
    name: str = "step"
    input: Any = _UNSET
    output: Any = _UNSET
    parent: int | None = None
    status: str = "ok"
    error: ErrorInfo | None = None
    model: str | None = None
    tokens: tuple[int, int] = (0, 0)
    cost: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    input_ref: str | None = None
    ended: bool = True


def write_session(
    store: Store,
    steps: list[S],
    *,
    name: str = "written",
    project: str = "default",
    status: Status = Status.OK,
    start: int = T0,
    encoder: PayloadEncoder | None = None,
) -> str:
    """Write one session of ``steps`` (numbered from 1, 1 ms apart); its id."""
    session_id = uuid.uuid4().hex
    encoder = encoder or PayloadEncoder()
    blobs: dict[str, bytes] = {}

    def ref(value: Any) -> str | None:
        if value is _UNSET:
            return None
        encoded = encoder.encode(value)
        blobs.update(encoded.blobs)
        return encoded.root

    rows = []
    for number, spec in enumerate(steps, start=1):
        began = start + number * MS
        rows.append(
            StepRow(
                session_id,
                number,
                f"{number:016x}",
                spec.parent,
                None if spec.parent is None else f"{spec.parent:016x}",
                spec.kind,
                spec.name,
                spec.status,
                began,
                began + MS // 2 if spec.ended else None,
                spec.attributes,
                spec.model,
                spec.tokens[0],
                spec.tokens[1],
                0,
                0,
                spec.cost,
                spec.input_ref or ref(spec.input),
                ref(spec.output),
                spec.error,
            )
        )
    ended = None if status is Status.RUNNING else start + (len(steps) + 1) * MS
    session = Session(
        id=session_id,
        name=name,
        project=project,
        status=status,
        started_at=start,
        ended_at=ended,
    )
    store.write(WriteBatch(sessions=[session], steps=rows, blobs=blobs))
    return session_id


def chat(system: str | None, *turns: Any, tools: list[str] | None = None) -> dict[str, Any]:
    """An OpenAI chat request: a system prompt, then the given messages."""
    messages = [{"role": "system", "content": system}] if system is not None else []
    request: dict[str, Any] = {"model": "gpt-4o-mini", "messages": messages + list(turns)}
    if tools is not None:
        request["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t,
                    "parameters": {
                        "type": "object",
                        "properties": {"path": {"type": "string"}},
                        "required": ["path"],
                    },
                },
            }
            for t in tools
        ]
    return request


def answer(text: str | None = None, *calls: tuple[str, str]) -> dict[str, Any]:
    """An OpenAI chat completion: text and tool calls given as (name, arguments JSON)."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(calls)
        ]
    return {"object": "chat.completion", "choices": [{"index": 0, "message": message}]}
