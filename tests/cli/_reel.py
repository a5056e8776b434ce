"""A small, fixed reel for the CLI tests: three sessions written to real SQLite.

Times are fixed so that expected output can be written out in full: the
clock the CLI sees is ``NOW``, three hours after the first session started.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from agentreel.model import ErrorInfo, ForkRef, Session, Status, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.storage import SQLiteStore, WriteBatch

MS = 1_000_000
S = 1000 * MS

#: 2025-01-02 14:03:05 UTC
T0 = int(dt.datetime(2025, 1, 2, 14, 3, 5, tzinfo=dt.UTC).timestamp()) * S
NOW = T0 + 3 * 3600 * S

FIX_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
NOTES_ID = "0af7651916cd43dd8448eb211c80319c"
LIVE_ID = "4bf9aa00d2c64ef0b1e2a3b4c5d6e7f8"

CHAT_INPUT = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "You fix failing tests."},
        {"role": "user", "content": "tests/test_calc.py fails: [bold]1 + 1 == 3[/bold]"},
    ],
}
CHAT_OUTPUT = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "run_tests", "arguments": '{"path": "tests/"}'},
        }
    ],
}
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "agent.py", line 12, in run_tests\n'
    "    raise ValueError('boom')\n"
    "ValueError: boom\n"
)


def row(session_id: str, number: int, **fields: Any) -> StepRow:
    values: dict[str, Any] = {
        "session_id": session_id,
        "number": number,
        "span_id": f"{number:016x}",
        "parent_number": None,
        "parent_span_id": None,
        "kind": "tool",
        "name": f"step-{number}",
        "status": "ok",
        "started_at": T0,
        "ended_at": T0 + MS,
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
    return StepRow(**values)


def fix_session() -> WriteBatch:
    """An agent that plans, calls a model, fails a tool call and summarises."""
    encoder = PayloadEncoder()
    chat_in = encoder.encode(CHAT_INPUT)
    chat_out = encoder.encode(CHAT_OUTPUT)
    tool_in = encoder.encode({"path": "tests/"})
    session = Session(
        id=FIX_ID,
        name="fix-failing-test",
        tags=("demo", "flaky"),
        metadata={"repo": "calc"},
        status=Status.ERROR,
        started_at=T0,
        ended_at=T0 + 12_300 * MS,
        error=ErrorInfo(type="ValueError", message="boom"),
    )
    steps = [
        row(FIX_ID, 1, kind="agent", name="fixer", status="error", ended_at=T0 + 12_300 * MS),
        row(FIX_ID, 2, kind="plan", name="make-plan", parent_number=1, ended_at=T0 + 350 * MS),
        row(
            FIX_ID,
            3,
            kind="llm",
            name="call-model",
            parent_number=1,
            started_at=T0 + 400 * MS,
            ended_at=T0 + 1600 * MS,
            model="gpt-4o-mini",
            tokens_in=1200,
            tokens_cached=200,
            tokens_out=300,
            cost=0.0012,
            attributes={"temperature": 0},
            input_ref=chat_in.root,
            output_ref=chat_out.root,
        ),
        row(
            FIX_ID,
            4,
            kind="tool",
            name="run_tests",
            parent_number=3,
            status="error",
            started_at=T0 + 1700 * MS,
            ended_at=T0 + 1800 * MS,
            input_ref=tool_in.root,
            error=ErrorInfo(type="ValueError", message="boom", traceback=TRACEBACK),
        ),
        row(
            FIX_ID,
            5,
            kind="llm",
            name="summarize",
            parent_number=1,
            started_at=T0 + 2 * S,
            ended_at=T0 + 12 * S,
            model="gpt-4o-mini",
            tokens_in=10_500,
            tokens_out=700,
            cost=0.0111,
        ),
        row(FIX_ID, 6, kind="event", name="done", started_at=T0 + 12 * S, ended_at=T0 + 12 * S),
    ]
    blobs = {**chat_in.blobs, **chat_out.blobs, **tool_in.blobs}
    return WriteBatch(sessions=[session], steps=steps, blobs=blobs)


def notes_session() -> WriteBatch:
    """An older, successful session in another project, forked from the first."""
    started = T0 - 9 * 86400 * S
    session = Session(
        id=NOTES_ID,
        name="research-notes",
        project="docs",
        status=Status.OK,
        started_at=started,
        ended_at=started + 125 * S,
        forked_from=ForkRef(session_id=FIX_ID, step=3),
    )
    steps = [
        row(
            NOTES_ID,
            1,
            kind="retrieval",
            name="search-docs",
            started_at=started,
            ended_at=started + 420 * MS,
        ),
        row(
            NOTES_ID,
            2,
            kind="llm",
            name="write",
            started_at=started + S,
            ended_at=started + 120 * S,
            tokens_in=40_000,
            tokens_out=2_345,
            cost=1.5,
        ),
    ]
    return WriteBatch(sessions=[session], steps=steps)


def live_session() -> WriteBatch:
    """A session still running, one step done and one in progress."""
    started = NOW - 65 * S
    session = Session(id=LIVE_ID, name="live-agent", started_at=started)
    steps = [
        row(
            LIVE_ID,
            1,
            kind="agent",
            name="watcher",
            status="running",
            started_at=started,
            ended_at=None,
        ),
        row(
            LIVE_ID,
            2,
            kind="tool",
            name="fetch",
            parent_number=1,
            started_at=started + S,
            ended_at=started + 2 * S,
        ),
        row(
            LIVE_ID,
            3,
            kind="llm",
            name="think",
            parent_number=1,
            status="running",
            started_at=NOW - 4200 * MS,
            ended_at=None,
        ),
    ]
    return WriteBatch(sessions=[session], steps=steps)


def write_reel(path: Path, *batches: WriteBatch) -> Path:
    store = SQLiteStore(path)
    try:
        for batch in batches:
            store.write(batch)
    finally:
        store.close()
    return path
