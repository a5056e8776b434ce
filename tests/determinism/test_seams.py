"""agentreel.now(), random() and uuid4(): recorded on the step, served back on replay."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from tests._reel import Reel

import agentreel
from agentreel.determinism import _seams
from agentreel.replay import ReplayDivergence

CALLS: Counter[str] = Counter()


@agentreel.tool
def cheap_path() -> str:
    CALLS["cheap"] += 1
    return "cheap"


@agentreel.tool
def careful_path() -> str:
    CALLS["careful"] += 1
    return "careful"


@agentreel.agent(name="decider")
def decider() -> tuple[float, float, uuid.UUID, str]:
    started = agentreel.now()
    roll = agentreel.random()
    ticket = agentreel.uuid4()
    chosen = cheap_path() if roll < 0.5 else careful_path()
    return started, roll, ticket, chosen


@pytest.fixture(autouse=True)
def _clear() -> None:
    CALLS.clear()


def _replay_in_session(reel: Reel, session_id: str, program: Callable[[], object]) -> None:
    with agentreel.replay(session_id, db=reel.path), agentreel.session("seams"):
        program()


def test_without_configure_the_seams_are_the_plain_functions() -> None:
    before = time.time()
    assert before <= agentreel.now() <= time.time()
    assert 0.0 <= agentreel.random() < 1.0
    ticket = agentreel.uuid4()
    assert isinstance(ticket, uuid.UUID) and ticket.version == 4
    assert agentreel.uuid4() != ticket


def test_values_are_recorded_on_the_step_that_drew_them(reel: Reel) -> None:
    results: list[Any] = []
    original = reel.record(lambda: results.append(decider()))
    started, roll, ticket, _ = results[0]
    (agent, _tool) = reel.steps(original)
    assert agent.attributes["agentreel.values"] == [
        ["now", started],
        ["random", roll],
        ["uuid4", str(ticket)],
    ]


def test_a_value_drawn_outside_any_step_gets_an_event_step(reel: Reel) -> None:
    drawn: list[float] = []
    original = reel.record(lambda: drawn.append(agentreel.now()))
    (event,) = reel.steps(original)
    assert (str(event.kind), event.name) == ("event", "agentreel.values")
    assert event.attributes["agentreel.values"] == [["now", drawn[0]]]


def test_replay_serves_the_recorded_values_and_takes_the_same_branch(
    reel: Reel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_seams, "_real_random", lambda: 0.25)
    results: list[Any] = []
    original = reel.record(lambda: results.append(decider()))
    assert results[0][3] == "cheap"
    CALLS.clear()
    # Drawn live now, the roll would take the other branch.
    monkeypatch.setattr(_seams, "_real_random", lambda: 0.75)
    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("seams"):
            replayed = decider()
    assert replayed == results[0]
    assert CALLS == {}
    assert r.result.ok and r.result.served == 1
    assert r.result.new_session_id is not None
    (agent, tool) = reel.steps(r.result.new_session_id)
    assert (
        agent.attributes["agentreel.values"]
        == reel.steps(original)[0].attributes["agentreel.values"]
    )
    assert tool.name == "cheap_path"


def test_values_outside_steps_are_served_too(reel: Reel) -> None:
    drawn: list[uuid.UUID] = []
    original = reel.record(lambda: drawn.append(agentreel.uuid4()))
    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("seams"):
            again = agentreel.uuid4()
    assert again == drawn[0]
    assert r.result.ok


def test_strict_mode_stops_at_a_value_the_recording_does_not_have(reel: Reel) -> None:
    original = reel.record(lambda: decider())

    @agentreel.agent(name="decider")
    def greedier() -> None:
        agentreel.now()
        agentreel.random()
        agentreel.uuid4()
        agentreel.random()  # one more than recorded

    with pytest.raises(ReplayDivergence) as caught:
        _replay_in_session(reel, original, greedier)
    d = caught.value.divergence
    assert d.kind == "unexpected-call"
    assert (d.recorded_step, d.live_step, d.step_name) == (1, 1, "decider")
    assert "value number 4" in d.summary and "drew only 3" in d.summary


def test_a_different_order_of_seams_is_a_mismatch(reel: Reel) -> None:
    original = reel.record(lambda: decider())

    @agentreel.agent(name="decider")
    def reordered() -> None:
        agentreel.random()

    with pytest.raises(ReplayDivergence) as caught:
        _replay_in_session(reel, original, reordered)
    d = caught.value.divergence
    assert d.kind == "mismatch"
    assert [(c.path, c.before, c.after) for c in d.changes] == [("values[0]", "now", "random")]


def test_new_steps_draws_a_missing_value_live(reel: Reel, monkeypatch: pytest.MonkeyPatch) -> None:
    original = reel.record(lambda: agentreel.random())
    monkeypatch.setattr(_seams, "_real_random", lambda: 0.125)
    with agentreel.replay(original, db=reel.path, mode="new-steps") as r:
        with agentreel.session("seams"):
            agentreel.random()
            extra = agentreel.random()  # a second event step the recording lacks
    assert extra == 0.125
    assert [d.kind for d in r.result.divergences] == ["unexpected-call"]
