"""Sessions for the debugger tests, recorded into real SQLite files.

``record_hand_session`` records, through the public decorators, a small
session whose shape the tests rely on::

    1 agent  outer
      2 llm    ask              12,000 tokens in, $0.02
      3 tool   run_tests        fails: ValueError
      4 agent  inner
        5 llm    ask            300 tokens in, $0.001
        6 retrieval search      attributes {"hits": 3, "gen_ai.system": "docs"}
      7 tool   run_tests        ok
    8 event  done               attributes {"key": 1}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import agentreel

SYSTEM = "You fix failing tests."


@dataclass(frozen=True, slots=True)
class Reel:
    db: Path
    ids: dict[str, str]  # session name -> id


def _reply(text: str | None, call: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if call is not None:
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": call, "arguments": "{}"}}
        ]
    return message


def record_hand_session(db: Path) -> str:
    """Record the session drawn in this module's docstring into ``db``; its id."""

    @agentreel.llm
    def ask(messages: list[dict[str, Any]], tokens: int, cost: float, call: str | None) -> Any:
        step = agentreel.current_step()
        assert step is not None
        step.record_usage(input=tokens, output=20, cost=cost)
        return _reply(None if call else "done", call)

    @agentreel.tool
    def run_tests(path: str) -> dict[str, int]:
        if path == "broken/":
            raise ValueError("boom")
        return {"passed": 3}

    @agentreel.agent(name="inner")
    def inner() -> None:
        ask([{"role": "user", "content": "look it up"}], 300, 0.001, "search")
        with agentreel.step(
            "retrieval", "search", attributes={"hits": 3, "gen_ai.system": "docs"}
        ) as st:
            st.set_output(["calc.py"])

    @agentreel.agent(name="outer")
    def outer() -> None:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "fix it"}]
        ask(messages, 12_000, 0.02, "run_tests")
        try:
            run_tests("broken/")
        except ValueError:
            pass
        inner()
        run_tests("tests/")

    agentreel.configure(db=db, flush_interval=0.05)
    try:
        with agentreel.session("hand-built", tags=["debugger"]) as session:
            outer()
            agentreel.event("done", key=1)
        session_id = session.id
        assert agentreel.flush()
    finally:
        agentreel.shutdown()
    return session_id
