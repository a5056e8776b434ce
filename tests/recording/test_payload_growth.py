"""A conversation resent on every call is stored O(n), not O(n²)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import agentreel
from agentreel.storage import SQLiteStore, load_payload


def _blob_bytes(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        (total,) = conn.execute("SELECT COALESCE(SUM(LENGTH(bytes)), 0) FROM blobs").fetchone()
    finally:
        conn.close()
    return int(total)


def _converse(turns: int) -> None:
    @agentreel.llm
    def chat(model: str, messages: list[dict[str, str]]) -> dict[str, Any]:
        return {"role": "assistant", "content": f"reply {len(messages)} " + "y" * 200}

    messages = [{"role": "system", "content": "You are a careful agent. " * 20}]
    with agentreel.session("long-chat"):
        for i in range(turns):
            messages.append({"role": "user", "content": f"question {i} " + "x" * 200})
            messages.append(chat("gpt-4o", list(messages)))


def test_two_hundred_turns_store_linearly(tmp_path: Path) -> None:
    sizes = {}
    for turns in (50, 200):
        db = tmp_path / f"{turns}.db"
        agentreel.configure(db=db)
        _converse(turns)
        # What is measured is the stored size, not how fast a loaded machine
        # writes it: give the exit flush time enough.
        agentreel.shutdown(timeout=30)
        sizes[turns] = _blob_bytes(db)
    # Four times the turns: O(n) storage grows about 4x; O(n^2) would grow ~16x.
    ratio = sizes[200] / sizes[50]
    assert 3.0 < ratio < 5.0, sizes
    # And in absolute terms: about the size of the distinct messages, not of
    # every resent copy (200 calls x ~100 messages x ~220 bytes = ~4.4 MB).
    assert sizes[200] < 400_000, sizes


def test_resent_conversation_reads_back_exactly(tmp_path: Path) -> None:
    db = tmp_path / "exact.db"
    agentreel.configure(db=db)
    _converse(30)
    agentreel.shutdown()
    store = SQLiteStore(db)
    (summary,) = store.list_sessions()
    steps = store.get_steps(summary.session.id)
    assert len(steps) == 30
    last = load_payload(store, steps[-1].input_ref)
    assert len(last["messages"]) == 1 + 29 * 2 + 1
    assert last["messages"][-1]["content"].startswith("question 29 ")
    assert last["messages"][2]["content"].startswith("reply 2 ")
    store.close()
