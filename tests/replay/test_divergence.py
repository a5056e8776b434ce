"""Changed programs: where the run departs from the recording, and what each mode does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import agentreel
from agentreel.diff import FieldChange
from agentreel.replay import ReplayDivergence, ReplayMode, ReplaySession

from . import _agents
from ._agents import CALLS
from .conftest import Reel

HERE = Path(__file__)


@agentreel.agent(name="fixer")
def fix(
    path: str = "calc.py", target: str = "tests/", extra: bool = False, skip: bool = False
) -> str:
    _agents.read_file(path)  # the read
    reply = _agents.ask([{"role": "user", "content": "fix calc"}])
    if extra:
        _agents.search("division by zero")  # the extra call
    _agents.write_file("calc.py", "fixed")
    if not skip:
        _agents.run_tests(target)
    return _agents.content(reply)


def _line(marker: str) -> int:
    lines = HERE.read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.rstrip().endswith(marker))


def _run(replay: ReplaySession, program: Callable[[], object]) -> None:
    with replay:
        program()


def _record(reel: Reel) -> str:
    original = reel.record("fix", lambda: fix())
    _agents.reset()
    return original


def test_a_changed_tool_argument_is_a_mismatch_with_a_full_report(reel: Reel) -> None:
    original = _record(reel)
    r = agentreel.replay(original, db=reel.path)
    with pytest.raises(ReplayDivergence) as caught:
        _run(r, lambda: fix(path="notes.md"))
    d = caught.value.divergence
    assert d.kind == "mismatch"
    assert (d.recorded_step, d.live_step, d.step_kind, d.step_name) == (2, 2, "tool", "read_file")
    assert d.call_site == f"{HERE.relative_to(Path.cwd())}:{_line('# the read')}"
    assert d.changes == (FieldChange(path="input.path", before="calc.py", after="notes.md"),)
    assert d.candidates[0].step == 2
    assert d.candidates[0].path == "input.path"
    assert "differs at input.path" in d.candidates[0].reason
    assert any("--fork-at 2" in hint for hint in d.next_steps)
    assert any("--mode live-after-divergence" in hint for hint in d.next_steps)
    assert any("agentreel record" in hint for hint in d.next_steps)
    message = str(caught.value)
    for fact in ("recorded step 2", d.call_site, 'input.path: "calc.py" -> "notes.md"'):
        assert fact in message
    assert CALLS == {}  # strict: the diverging call did not run either
    assert not r.result.ok
    assert r.result.divergences == (d,)
    assert r.result.served == 0 and r.result.live == 0


def test_an_extra_call_is_an_unexpected_call(reel: Reel) -> None:
    original = _record(reel)
    r = agentreel.replay(original, db=reel.path)
    with pytest.raises(ReplayDivergence) as caught:
        _run(r, lambda: fix(extra=True))
    d = caught.value.divergence
    assert d.kind == "unexpected-call"
    assert (d.step_kind, d.step_name, d.live_step) == ("retrieval", "search", 4)
    assert d.recorded_step == 4  # what the recording has next at that place: write_file
    assert "step 4 (tool write_file)" in d.summary
    assert d.call_site is not None and d.call_site.endswith(f":{_line('# the extra call')}")
    assert r.result.served == 2  # read_file and ask were answered before it
    assert CALLS == {}


def test_a_missing_call_is_reported_when_the_run_ends(reel: Reel) -> None:
    original = _record(reel)
    r = agentreel.replay(original, db=reel.path)
    with pytest.raises(ReplayDivergence) as caught:
        _run(r, lambda: fix(skip=True))
    d = caught.value.divergence
    assert d.kind == "run-ended-early"
    assert d.unconsumed == (5,)
    assert (d.recorded_step, d.step_name) == (5, "run_tests")
    assert r.result.unconsumed == (5,)
    assert r.result.served == 3
    assert "never asked for" in d.summary


def test_a_call_after_the_last_recorded_answer_went_further(reel: Reel) -> None:
    original = _record(reel)

    def program() -> None:
        fix()
        _agents.search("one more")

    with pytest.raises(ReplayDivergence) as caught:
        _run(agentreel.replay(original, db=reel.path), program)
    assert caught.value.divergence.kind == "run-went-further"
    assert CALLS == {}


def test_strict_mode_stops_even_if_the_program_swallowed_the_error(reel: Reel) -> None:
    original = _record(reel)
    swallowed: list[Exception] = []

    def program() -> None:
        try:
            fix(path="notes.md")
        except Exception as exc:  # an agent that survives tool errors
            swallowed.append(exc)

    r = agentreel.replay(original, db=reel.path)
    with pytest.raises(ReplayDivergence) as caught:
        _run(r, program)
    assert len(swallowed) == 1
    assert caught.value.divergence is r.result.divergences[0]


def test_new_steps_serves_the_rest_and_runs_the_new_call_live(reel: Reel) -> None:
    original = _record(reel)
    with agentreel.replay(original, db=reel.path, mode="new-steps") as r:
        answer = fix(extra=True)
    assert answer == "ok: fix calc"
    assert CALLS == {"search": 1}
    assert (r.result.served, r.result.live) == (4, 1)
    assert [d.kind for d in r.result.divergences] == ["unexpected-call"]
    assert r.result.mode is ReplayMode.NEW_STEPS
    new_id = r.result.new_session_id
    assert new_id is not None
    store = reel.reader()
    try:
        steps = store.get_steps(new_id)
    finally:
        store.close()
    search = next(s for s in steps if s.name == "search")
    assert search.number == 4 and "agentreel.answered_by" not in search.attributes
    assert reel.outputs(new_id)[4] == [
        {"doc": "notes.md", "score": 0.9, "query": "division by zero"}
    ]
    assert [s.name for s in steps] == [
        "fixer",
        "read_file",
        "ask",
        "search",
        "write_file",
        "run_tests",
    ]


def test_new_steps_reports_what_the_changed_run_left_unused(reel: Reel) -> None:
    original = _record(reel)
    with agentreel.replay(original, db=reel.path, mode=ReplayMode.NEW_STEPS) as r:
        fix(target="tests/test_calc.py")
    assert CALLS == {"run_tests": 1}
    assert [d.kind for d in r.result.divergences] == ["mismatch", "run-ended-early"]
    assert r.result.divergences[0].changes[0].path == "input.target"
    assert r.result.unconsumed == (5,)
    assert not r.result.ok


def test_live_after_divergence_goes_live_from_the_first_divergence(reel: Reel) -> None:
    original = _record(reel)
    with agentreel.replay(original, db=reel.path, mode="live-after-divergence") as r:
        fix(path="notes.md")
    assert CALLS == {"read_file": 1, "ask": 1, "write_file": 1, "run_tests": 1}
    assert (r.result.served, r.result.live) == (0, 4)
    assert [d.kind for d in r.result.divergences] == ["mismatch"]
    assert r.result.unconsumed == ()  # the rest of the recording was left on purpose


def test_live_after_divergence_serves_everything_before_it(reel: Reel) -> None:
    original = _record(reel)
    with agentreel.replay(original, db=reel.path, mode="live-after-divergence") as r:
        fix(target="tests/test_calc.py")
    assert CALLS == {"run_tests": 1}
    assert (r.result.served, r.result.live) == (3, 1)


def test_the_result_is_json_and_the_report_names_the_facts(reel: Reel) -> None:
    original = _record(reel)
    with agentreel.replay(original, db=reel.path, mode="new-steps") as r:
        fix(path="notes.md")
    doc = json.loads(json.dumps(r.result.to_dict()))
    assert doc["session_id"] == original and doc["mode"] == "new-steps"
    assert doc["ok"] is False and doc["served"] + doc["live"] == 4
    first = doc["divergences"][0]
    assert first["kind"] == "mismatch" and first["recorded_step"] == 2
    assert first["changes"] == [
        {
            "path": "input.path",
            "change": "changed",
            "before": "calc.py",
            "after": "notes.md",
            "text_diff": None,
        }
    ]
    assert first["candidates"][0]["step"] == 2
    text = r.result.render()
    assert text.startswith(f"replay of session {original[:12]} (new-steps): ")
    for fact in (
        "1. mismatch at recorded step 2, new step 2 (tool read_file)",
        'input.path: "calc.py" -> "notes.md"',
        "--fork-at 2",
        f"{HERE.relative_to(Path.cwd())}:{_line('# the read')}",
    ):
        assert fact in text, fact
