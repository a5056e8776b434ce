"""Forks: an edited step N, everything after it live, the origin untouched."""

from __future__ import annotations

from typing import Any

import pytest

import agentreel
from agentreel.model import ErrorInfo, ForkRef
from agentreel.replay import Edit
from agentreel.storage import load_payload

from . import _agents
from ._agents import CALLS
from .conftest import Reel


def _snapshot(reel: Reel, session_id: str) -> list[Any]:
    """Everything stored about a session's steps, payloads included."""
    store = reel.reader()
    try:
        return [
            (
                s,
                load_payload(store, s.input_ref) if s.input_ref else None,
                load_payload(store, s.output_ref) if s.output_ref else None,
            )
            for s in store.get_steps(session_id)
        ] + [store.get_session(session_id)]
    finally:
        store.close()


def _record(reel: Reel) -> str:
    original = reel.record("fix", lambda: _agents.fixer())
    _agents.reset()
    return original


def test_an_edited_output_is_served_at_the_fork_and_the_rest_runs_live(reel: Reel) -> None:
    original = _record(reel)
    before = _snapshot(reel, original)
    edited = _agents.completion("forked advice")
    with agentreel.replay(original, db=reel.path, fork_at=3, edit=Edit(output=edited)) as r:
        answer = _agents.fixer()
    # Steps 2 (read) served, 3 (ask) edited, 4 and 5 live.
    assert answer.startswith("forked advice | ")
    assert CALLS == {"write_file": 1, "run_tests": 1}
    assert (r.result.served, r.result.live) == (2, 2)
    assert r.result.ok and r.result.unconsumed == ()
    assert r.result.forked_from == ForkRef(session_id=original, step=3)
    new_id = r.result.new_session_id
    assert new_id is not None
    store = reel.reader()
    try:
        session = store.get_session(new_id)
        steps = store.get_steps(new_id)
    finally:
        store.close()
    assert session.forked_from == ForkRef(session_id=original, step=3)
    assert steps[2].attributes["agentreel.fork_edit"] == "output"
    assert steps[2].attributes["agentreel.answered_by"] == "replay-fork"
    assert reel.outputs(new_id)[3] == edited
    assert _snapshot(reel, original) == before


def test_an_edited_input_runs_the_step_live_with_the_new_arguments(reel: Reel) -> None:
    original = _record(reel)
    before = _snapshot(reel, original)
    _agents.FILES["other.py"] = "print('other')\n"
    with agentreel.replay(
        original, db=reel.path, fork_at=2, edit=Edit(input={"path": "other.py"})
    ) as r:
        _agents.fixer()
    assert CALLS == {"read_file": 1, "ask": 1, "write_file": 1, "run_tests": 1}
    assert (r.result.served, r.result.live) == (0, 4)
    new_id = r.result.new_session_id
    assert new_id is not None
    store = reel.reader()
    try:
        read = store.get_step(new_id, 2)
        assert load_payload(store, read.input_ref) == {"path": "other.py"}
    finally:
        store.close()
    assert reel.outputs(new_id)[2] == "print('other')\n"
    assert _snapshot(reel, original) == before


def test_an_edited_error_makes_the_step_fail(reel: Reel) -> None:
    original = _record(reel)
    error = ErrorInfo(type="PermissionError", message="read-only file system")
    with agentreel.replay(original, db=reel.path, fork_at=2, edit=Edit(error=error)) as r:
        with pytest.raises(PermissionError, match="read-only file system"):
            _agents.fixer()
    assert CALLS == {}
    assert r.result.served == 1
    assert r.result.ok  # a fork's own edit is not a divergence


def test_a_fork_without_an_edit_runs_the_step_and_the_rest_live(reel: Reel) -> None:
    original = _record(reel)
    with agentreel.replay(original, db=reel.path, fork_at=4) as r:
        _agents.fixer()
    assert CALLS == {"write_file": 1, "run_tests": 1}
    assert (r.result.served, r.result.live) == (2, 2)


def test_a_fork_at_an_agent_runs_the_whole_agent_live(reel: Reel) -> None:
    original = reel.record("team", lambda: _agents.lead("guard division"))
    coder = next(n for n, k, name, _ in reel.tree(original) if name == "coder")
    _agents.reset()
    with agentreel.replay(original, db=reel.path, fork_at=coder) as r:
        _agents.lead("guard division")
    # The planner is served; the coder and everything after it run live.
    assert CALLS == {"read_file": 2, "ask": 2, "write_file": 1, "run_tests": 1}
    assert r.result.served == 2 and r.result.live == 6


def test_an_edited_input_naming_no_parameter_fails_like_a_wrong_keyword(reel: Reel) -> None:
    original = _record(reel)
    with agentreel.replay(original, db=reel.path, fork_at=2, edit=Edit(input={"mode": "rb"})):
        with pytest.raises(TypeError, match="unexpected keyword argument 'mode'"):
            _agents.fixer()
    assert CALLS == {}


def test_an_edited_input_goes_to_var_keywords(reel: Reel) -> None:
    @agentreel.tool
    def configure_tool(name: str, **options: Any) -> dict[str, Any]:
        CALLS["configure_tool"] += 1
        return {"name": name, **options}

    original = reel.record("opts", lambda: configure_tool("lint", strict=False))
    CALLS.clear()
    with agentreel.replay(
        original, db=reel.path, fork_at=1, edit=Edit(input={"strict": True, "level": 2})
    ):
        assert configure_tool("lint", strict=False) == {"name": "lint", "strict": True, "level": 2}
    assert CALLS == {"configure_tool": 1}


def test_after_a_matching_fork_unchanged_requests_are_still_served(reel: Reel) -> None:
    original = _record(reel)
    edited = _agents.completion("forked advice")
    with agentreel.replay(
        original, db=reel.path, fork_at=3, edit=Edit(output=edited), after_fork="matching"
    ) as r:
        answer = _agents.fixer()
    assert answer.startswith("forked advice | ")
    # write_file and run_tests get the same arguments as recorded: served, not run.
    assert CALLS == {}
    assert (r.result.served, r.result.live) == (4, 0)
    assert r.result.ok
    assert r.result.divergences == ()
    assert r.result.forked_from == ForkRef(session_id=original, step=3)


def test_after_a_matching_fork_changed_requests_run_live_without_a_divergence(
    reel: Reel,
) -> None:
    original = _record(reel)
    with agentreel.replay(original, db=reel.path, fork_at=2, after_fork="matching") as r:
        # Step 2 (read_file) runs live and reads the same source, so every call
        # after it asks what the recording holds and is served from it.
        answer = _agents.fixer()
    assert CALLS["read_file"] == 1
    assert r.result.ok
    assert r.result.divergences == ()
    assert answer.endswith("failed=0")


def test_after_fork_must_be_live_or_matching(reel: Reel) -> None:
    original = _record(reel)
    with pytest.raises(agentreel.errors.ConfigurationError, match="after_fork"):
        agentreel.replay(original, db=reel.path, fork_at=2, after_fork="sometimes")
