"""A replay keeps no served step once it has ended: memory stays flat over a long run."""

from __future__ import annotations

import agentreel

from . import _agents
from .conftest import Reel


def _chat(turns: int) -> None:
    for i in range(turns):
        _agents.read_file("calc.py")
        _agents.ask([{"role": "user", "content": f"turn {i}"}])


def test_served_steps_are_forgotten_when_they_end(reel: Reel) -> None:
    original = reel.record("chat", lambda: _chat(20))
    _agents.CALLS.clear()
    with agentreel.replay(original, db=reel.path) as r:
        _chat(20)
        # Every step the engine still holds (with its input and output) is
        # one that could yet ask it something; a served step never can.
        engine = r._engine
        assert engine is not None
        assert [s.recorded.number for s in engine._states.values() if s.recorded] == []
    assert r.result.ok and r.result.served == 40 and _agents.CALLS == {}
