"""Realistic recorded sessions written straight into a store, and file surgery.

Payloads go through the real ``PayloadEncoder``, so conversations become chains
whose prefixes are shared between model calls (and, with one encoder, between
sessions), exactly as the recorder stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentreel.model import ErrorInfo, Session, Status, StepKind, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.storage import Store, WriteBatch, load_payload

#: Start time (ns since the epoch) of the first sample session.
T0 = 1_700_000_000_000_000_000

SYSTEM = {"role": "system", "content": "You fix failing tests. Use the tools."}


@dataclass
class Recorded:
    """A session written into a store and the payload values it was given."""

    session: Session
    payloads: dict[tuple[int, str], Any] = field(default_factory=dict)


class Recorder:
    """Writes sample sessions into a store, one encoder across all of them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.encoder = PayloadEncoder()
        self._n = 0

    def session(
        self,
        question: str = "test_add fails, fix it",
        *,
        history: Sequence[dict[str, Any]] = (),
        **fields: Any,
    ) -> Recorded:
        """agent > plan, llm, tool (fails), event, llm: six steps with payloads.

        ``history`` goes between the system prompt and the question, as when an
        agent continues an earlier conversation.
        """
        self._n += 1
        sid = f"{self._n * 0x9E3779B97F4A7C15 % (1 << 128):032x}"
        start = T0 + self._n * 10**9
        user = {"role": "user", "content": question}
        first = [SYSTEM, *history, user]
        reply = {"role": "assistant", "content": None, "tool_calls": [{"name": "run_tests"}]}
        result = {"role": "tool", "content": "1 failed: assert add(2, 2) == 4"}
        values: dict[tuple[int, str], Any] = {
            (1, "input"): {"task": question},
            (1, "output"): "patched calc.py",
            (2, "input"): {"goal": question},
            (2, "output"): ["run the tests", "read calc.py", "patch add()"],
            (3, "input"): {"model": "gpt-4o-mini", "messages": first},
            (3, "output"): reply,
            (4, "input"): {"path": "tests/", "flags": ["-x", "-q"]},
            (6, "input"): {"model": "gpt-4o-mini", "messages": [*first, reply, result]},
            (6, "output"): {"role": "assistant", "content": "add() subtracted; fixed."},
        }
        blobs: dict[str, bytes] = {}
        refs = {key: self._encode(value, blobs) for key, value in values.items()}
        given: dict[str, Any] = {
            "id": sid,
            "name": f"fix-{self._n}",
            "project": "calc",
            "tags": ("demo",),
            "metadata": {"repo": "calc", "attempt": self._n},
            "status": Status.OK,
            "started_at": start,
            "ended_at": start + 9_000,
        }
        session = Session(**(given | fields))
        rows = [
            self._row(sid, 1, None, StepKind.AGENT, "fixer", start, refs),
            self._row(sid, 2, 1, StepKind.PLAN, "plan", start, refs),
            self._row(
                sid, 3, 1, StepKind.LLM, "chat", start, refs,
                model="gpt-4o-mini", tokens_in=120, tokens_out=18, tokens_cached=64, cost=0.0003,
            ),
            self._row(
                sid, 4, 1, StepKind.TOOL, "run_tests", start, refs,
                status="error",
                error=ErrorInfo(
                    type="subprocess.CalledProcessError",
                    message="pytest exited with 1",
                    traceback='Traceback (most recent call last):\n  File "agent.py", line 9\n',
                ),
            ),
            self._row(sid, 5, 1, StepKind.EVENT, "cache-miss", start, refs, attributes={"k": "v"}),
            self._row(
                sid, 6, 1, StepKind.LLM, "chat", start, refs,
                model="gpt-4o-mini", tokens_in=180, tokens_out=25, tokens_reasoning=5, cost=0.00045,
            ),
        ]  # fmt: skip
        self.store.write(WriteBatch(sessions=[session], steps=rows, blobs=blobs))
        return Recorded(session=session, payloads=values)

    def _encode(self, value: Any, blobs: dict[str, bytes]) -> str:
        encoded = self.encoder.encode(value)
        blobs.update(encoded.blobs)
        return encoded.root

    @staticmethod
    def _row(
        sid: str,
        number: int,
        parent: int | None,
        kind: StepKind,
        name: str,
        start: int,
        refs: dict[tuple[int, str], str],
        **fields: Any,
    ) -> StepRow:
        values: dict[str, Any] = {
            "session_id": sid,
            "number": number,
            "span_id": f"{(number * 0x2545F4914F6CDD1D + start) % (1 << 64):016x}",
            "parent_number": parent,
            "parent_span_id": None,
            "kind": str(kind),
            "name": name,
            "status": "ok",
            "started_at": start + number * 1000,
            "ended_at": start + number * 1000 + (0 if kind is StepKind.EVENT else 500),
            "attributes": {},
            "model": None,
            "tokens_in": 0,
            "tokens_out": 0,
            "tokens_cached": 0,
            "tokens_reasoning": 0,
            "cost": None,
            "input_ref": refs.get((number, "input")),
            "output_ref": refs.get((number, "output")),
            "error": None,
        }
        values.update(fields)
        return StepRow(**values)


def records_of(data: bytes) -> list[dict[str, Any]]:
    """The records of a plain reel file, in order."""
    return [orjson.loads(line) for line in data.splitlines() if line.strip()]


def file_of(records: list[dict[str, Any]], *, recount: bool = True) -> bytes:
    """A plain reel file of ``records``; ``recount`` fixes the end record's counts."""
    if recount:
        counts: dict[str, int] = {}
        for r in records[1:-1]:
            counts[r["type"]] = counts.get(r["type"], 0) + 1
        records = [*records[:-1], {**records[-1], "counts": counts}]
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def assert_copied(source: Store, target: Store, recorded: Recorded) -> None:
    """The session, its steps and every payload read the same from both stores."""
    sid = recorded.session.id
    assert target.get_session(sid) == source.get_session(sid) == recorded.session
    steps = target.get_steps(sid)
    assert steps == source.get_steps(sid)
    assert [s.number for s in steps] == [1, 2, 3, 4, 5, 6]
    for step in steps:
        for side, ref in (("input", step.input_ref), ("output", step.output_ref)):
            if ref is None:
                assert (step.number, side) not in recorded.payloads
            else:
                assert load_payload(target, ref) == recorded.payloads[(step.number, side)]
