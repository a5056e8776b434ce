"""Which steps a live breakpoint pauses before, tested in this process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.debugger import BreakpointError, UnknownBreakpoint
from agentreel.hooks import Call
from agentreel.hooks._breakpoints import (
    breakpoint,
    breakpoints,
    clear_breakpoint,
    clear_breakpoints,
    live_breakpoints,
)


def call(kind: str = "tool", name: str = "write_file", number: int = 2, **extra: Any) -> Call:
    fields: dict[str, Any] = {"session_id": "s1", "session_name": "run", "parent_number": None}
    fields.update(extra)
    return Call(kind=kind, name=name, number=number, **fields)


def test_specs_and_keywords_match_the_step_about_to_run() -> None:
    breakpoint("tool:write_*", control=False)
    assert live_breakpoints.check(call()) == "breakpoint 1 (tool:write_*)"
    assert live_breakpoints.check(call(kind="llm", name="write_file")) is None
    clear_breakpoints()
    breakpoint(kind="llm", name="plan*", control=False)
    assert live_breakpoints.check(call(kind="llm", name="planner")) == (
        "breakpoint 2 (kind:llm and name:plan*)"
    )
    assert live_breakpoints.check(call(kind="llm", name="answer")) is None
    breakpoint(tool="rm", when=lambda c: c.arguments.get("force") is True, control=False)
    assert live_breakpoints.check(call(name="rm", input={"force": False})) is None
    assert live_breakpoints.check(call(name="rm", input={"force": True})) is not None


def test_conditions_read_the_input_but_never_the_output() -> None:
    breakpoint("if input.path ~ '/etc/*'", control=False)
    breakpoint("if output.ok == true", control=False)
    assert live_breakpoints.check(call(input={"path": "/etc/passwd"})) == (
        "breakpoint 1 (if input.path ~ '/etc/*')"
    )
    assert live_breakpoints.check(call(input={"path": "notes.txt"})) is None
    assert live_breakpoints.check(call(input=None)) is None


def test_depth_and_agent_come_from_the_steps_seen_so_far() -> None:
    breakpoint("if agent == 'triage' and depth == 1", control=False)
    assert live_breakpoints.check(call(kind="agent", name="triage", number=1)) is None
    assert live_breakpoints.check(call(number=2, parent_number=1)) is not None
    assert live_breakpoints.check(call(number=3)) is None


def test_once_and_the_next_step() -> None:
    bp = breakpoint("tool", once=True, control=False)
    assert bp.once
    assert live_breakpoints.check(call()) is not None
    assert live_breakpoints.check(call(number=3)) is None
    assert breakpoints() == ()
    nxt = breakpoint(control=False)
    assert nxt.spec == "the next step"
    assert live_breakpoints.check(call(kind="event", name="x")) is not None
    assert breakpoints() == ()


def test_listing_clearing_and_the_managers_pause_check() -> None:
    manager = hooks.get_manager()
    assert not manager.active
    one = breakpoint("llm", control=False)
    two = breakpoint("tool", control=False)
    assert manager.active
    assert live_breakpoints.check in manager.pause_checks
    assert [b.number for b in breakpoints()] == [one.number, two.number]
    assert clear_breakpoint(one.number) == one
    with pytest.raises(UnknownBreakpoint, match="no breakpoint 1; the breakpoints are 2"):
        clear_breakpoint(one.number)
    assert clear_breakpoints() == (two,)
    assert manager.pause_checks == []
    assert not manager.active


def test_bad_breakpoints_say_what_is_wrong() -> None:
    with pytest.raises(BreakpointError, match="looks like a condition"):
        breakpoint("cost > 1", control=False)
    with pytest.raises(BreakpointError, match="the kinds are"):
        breakpoint(kind="robot", control=False)
    with pytest.raises(BreakpointError, match="must be a callable"):
        breakpoint(when=42, control=False)  # type: ignore[arg-type]
    assert breakpoints() == ()


def test_a_predicate_that_raises_is_counted_and_the_agent_runs_on(tmp_path: Path) -> None:
    agentreel.configure(db=tmp_path / "reel.db", flush_interval=0.05)
    breakpoint(when=lambda c: 1 / 0, control=False)
    hit = breakpoint("tool:write_note", control=False)
    board = hooks.get_manager().board
    seen: list[str] = []

    def answer(what: str, paused: Any) -> None:
        # Resolved the moment it pauses, from this listener, so the test never waits.
        if what == "paused":
            seen.append(paused.reason)
            board.resolve(paused.id, "continue", by="test")

    board.listen(answer)

    @agentreel.tool
    def write_note(text: str) -> str:
        return text.upper()

    with agentreel.session("raising"):
        result = threading.Thread(target=lambda: seen.append(write_note("hi")))
        result.start()
        result.join(10)
    assert seen == [f"breakpoint {hit.number} (tool:write_note)", "HI"]
    assert agentreel.stats()["hook_errors"] >= 1


def test_configure_control_makes_the_process_attachable(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from agentreel.hooks import control_dir, live_processes

    db = home / "reel.db"
    monkeypatch.delenv("AGENTREEL_CONTROL_DIR", raising=False)
    assert live_processes(control_dir(db)) == []
    agentreel.configure(db=db, control=True)
    try:
        (found,) = live_processes(control_dir(db))
        assert found.pid == os.getpid()
    finally:
        agentreel.shutdown()


def test_agentreel_break_sets_breakpoints_from_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AGENTREEL_BREAK", "tool:run_*; if cost > 0.01 ;kind:nonsense")
    monkeypatch.delenv("AGENTREEL_CONTROL_DIR", raising=False)
    agentreel.configure(db=home / "reel.db")
    try:
        assert [b.spec for b in agentreel.breakpoints()] == ["tool:run_*", "if cost > 0.01"]
        assert "AGENTREEL_BREAK 'kind:nonsense' is not a breakpoint" in caplog.text
    finally:
        agentreel.shutdown()
