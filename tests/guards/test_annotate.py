"""Annotate, and ``attributes=`` on decisions: what a decider notes on a step is stored."""

from __future__ import annotations

from typing import Any

import agentreel
from agentreel import hooks
from agentreel.errors import StepVetoed
from agentreel.hooks import FINDINGS, Allow, Annotate, Call, Veto

from .conftest import Reel

RAN: list[str] = []


@agentreel.tool
def write(path: str) -> str:
    RAN.append(path)
    return f"wrote {path}"


class Noter:
    """Notes something on every tool call and has no opinion."""

    def __init__(self, attributes: dict[str, Any]) -> None:
        self.attributes = attributes

    def before_tool_call(self, call: Call) -> Annotate:
        return Annotate(self.attributes)


class Gate:
    """Vetoes writes to /etc, with a note; allows the rest, with a note."""

    def __init__(self) -> None:
        self.asked = 0

    def before_tool_call(self, call: Call) -> Allow | Veto:
        self.asked += 1
        if str(call.arguments.get("path", "")).startswith("/etc"):
            return Veto("no writes to /etc", attributes={"gate.rule": "etc"})
        return Allow("fine", attributes={"gate.rule": "none"})


def test_annotations_are_stored_and_the_next_decider_still_decides(reel: Reel) -> None:
    RAN.clear()
    first = {FINDINGS: [{"kind": "a"}], "team.ticket": "T-1"}
    hooks.register(Noter(first), name="first", priority=10)
    hooks.register(
        Noter({FINDINGS: [{"kind": "b"}], "team.ticket": "T-2"}), name="second", priority=5
    )
    gate = Gate()
    hooks.register(gate, priority=0)
    caught: list[StepVetoed] = []

    def run() -> None:
        write("notes.txt")
        try:
            write("/etc/passwd")
        except StepVetoed as exc:
            caught.append(exc)

    sid = reel.record(run)
    assert RAN == ["notes.txt"]
    assert gate.asked == 2  # the notes did not stop the gate from being asked
    (exc,) = caught
    assert exc.reason == "no writes to /etc"
    allowed, vetoed = reel.steps(sid)
    for step in (allowed, vetoed):
        # Lists extend what an earlier hook put there; other values replace it.
        assert step.attributes[FINDINGS] == [{"kind": "a"}, {"kind": "b"}]
        assert step.attributes["team.ticket"] == "T-2"
    assert allowed.attributes["gate.rule"] == "none"
    assert allowed.attributes["agentreel.decision"] == "allow"
    assert vetoed.attributes["gate.rule"] == "etc"
    assert vetoed.attributes["agentreel.decision"] == "veto"
    assert vetoed.attributes["agentreel.decision.hook"] == "Gate"


def test_a_hook_cannot_forge_the_recorders_attributes(reel: Reel) -> None:
    RAN.clear()
    forged = {"agentreel.decision": "veto", "agentreel.pause.reason": "x", 7: "seven", "ok": 1}
    hooks.register(Noter(forged))
    sid = reel.record(lambda: write("a"))
    assert RAN == ["a"]
    (step,) = reel.steps(sid)
    assert step.attributes["ok"] == 1
    assert "agentreel.decision" not in step.attributes
    assert "agentreel.pause.reason" not in step.attributes
    assert "7" not in step.attributes
    # One per refused key, counted by the recorder that ran (stats() outlives it).
    assert agentreel.stats().get("hook_errors") == 3


def test_a_replay_reproduces_a_session_with_annotations(reel: Reel) -> None:
    RAN.clear()
    hooks.register(Noter({FINDINGS: [{"kind": "a"}]}))

    def run() -> None:
        write("x")

    sid = reel.record(run)
    with agentreel.replay(sid, db=reel.path) as r:
        run()
    assert r.result.ok, r.result.divergences
    assert RAN == ["x"]  # the tool ran once, when recorded: the replay served it
