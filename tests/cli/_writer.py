"""Records one session into a SQLite reel over a couple of seconds, as a recorder
in another process would: start rows first, finished rows later.

Run as ``python _writer.py DB SESSION_ID PAUSE [GATE]``. With GATE (a file path)
it stops after starting step 3 until GATE exists, so a test can check that a
follower saw step 3 *while it was running*.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from agentreel.model import ErrorInfo, Session, Status, StepRow
from agentreel.storage import SQLiteStore, WriteBatch


def _row(session_id: str, number: int, kind: str, name: str, **fields: object) -> StepRow:
    values: dict[str, object] = {
        "session_id": session_id,
        "number": number,
        "span_id": f"{number:016x}",
        "parent_number": None,
        "parent_span_id": None,
        "kind": kind,
        "name": name,
        "status": "running",
        "started_at": time.time_ns(),
        "ended_at": None,
        "attributes": {},
        "model": None,
        "tokens_in": 0,
        "tokens_out": 0,
        "tokens_cached": 0,
        "tokens_reasoning": 0,
        "cost": None,
        "input_ref": None,
        "output_ref": None,
        "error": None,
    }
    values.update(fields)
    return StepRow(**values)  # type: ignore[arg-type]


def _end(row: StepRow, **fields: object) -> StepRow:
    values: dict[str, object] = {"status": "ok", "ended_at": time.time_ns()}
    values.update(fields)
    return row._replace(**values)  # type: ignore[arg-type]


def main() -> None:
    db, session_id, pause = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    gate = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    store = SQLiteStore(db)
    session = Session(id=session_id, name="live-run", started_at=time.time_ns())
    agent = _row(session_id, 1, "agent", "orchestrator")
    store.write(WriteBatch(sessions=[session], steps=[agent]))
    time.sleep(pause)
    plan = _row(session_id, 2, "plan", "make-plan", parent_number=1)
    store.write(WriteBatch(steps=[plan]))
    time.sleep(pause)
    store.write(WriteBatch(steps=[_end(plan)]))
    time.sleep(pause)
    tool = _row(session_id, 3, "tool", "run-tests", parent_number=1)
    store.write(WriteBatch(steps=[tool]))
    if gate is not None:
        deadline = time.monotonic() + 30
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    time.sleep(pause)
    failure = ErrorInfo(type="AssertionError", message="1 != 2")
    store.write(WriteBatch(steps=[_end(tool, status="error", error=failure)]))
    time.sleep(pause)
    store.write(WriteBatch(steps=[_end(agent)]))
    time.sleep(pause)
    ended = Session(
        id=session_id,
        name="live-run",
        started_at=session.started_at,
        ended_at=time.time_ns(),
        status=Status.OK,
    )
    store.write(WriteBatch(sessions=[ended]))
    store.close()


if __name__ == "__main__":
    main()
