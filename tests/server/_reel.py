"""Sessions recorded through the real SDK into a SQLite file, for the server tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import agentreel

SYSTEM = "You fix failing tests. <script>alert(1)</script>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """The ids of the sessions :func:`record` wrote, by role."""

    triage: str
    triage_again: str
    notes: str
    other_project: str


def _triage(name: str, answer: str) -> str:
    with agentreel.session(name, tags=["nightly", "ci"], project="alpha") as s:
        with agentreel.step("agent", "fixer"):
            messages = [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": "test_import fails: needle-in-haystack"},
            ]
            with agentreel.step("llm", "chat", input={"messages": messages}, model="gpt-4o") as st:
                st.set_output(
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "run_tests", "arguments": '{"k": "import"}'},
                            }
                        ],
                    }
                )
                st.record_usage(input=120, output=30, cost=0.002)
            with agentreel.step("tool", "run_tests", input={"k": "import"}) as st:
                st.set_output({"passed": 3, "failed": 1, "log": answer})
            tool_turn = [
                *messages,
                {"role": "assistant", "content": None, "tool_calls": []},
                {"role": "tool", "tool_call_id": "call_1", "content": answer},
            ]
            with agentreel.step(
                "llm", "chat", input={"messages": tool_turn}, model="gpt-4o-mini"
            ) as st:
                st.set_output({"role": "assistant", "content": "Fixed the import."})
                st.record_usage(input=200, output=10, cost=0.0005)
    return s.id


def _notes() -> str:
    handle = agentreel.session("write notes", project="alpha")
    try:
        with handle, agentreel.step("tool", "save", input={"path": "notes.md"}):
            raise OSError("disk full")
    except OSError:
        pass
    return handle.id


def _other() -> str:
    with agentreel.session("billing run", project="beta") as s:
        with agentreel.step(
            "llm", "summarise", input={"prompt": "hi"}, model="claude-3-5-haiku"
        ) as st:
            st.set_output({"text": "hello"})
            st.record_usage(input=50, output=50, cost=0.01)
    return s.id


def record(db: Path) -> Recorded:
    """Record four sessions (two alike, for diffs) into ``db`` and flush them."""
    agentreel.configure(db=db)
    try:
        recorded = Recorded(
            triage=_triage("triage flaky import", "1 failed: ImportError"),
            triage_again=_triage("triage flaky import", "1 failed: ModuleNotFoundError"),
            notes=_notes(),
            other_project=_other(),
        )
    finally:
        agentreel.shutdown()
    return recorded
