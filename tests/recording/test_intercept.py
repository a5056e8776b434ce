"""The interception seam replay builds on: answered steps skip their code."""

from __future__ import annotations

from typing import Any

import pytest

import agentreel
from agentreel.errors import AgentreelError
from agentreel.recording import Answer, StepHandle
from agentreel.recording._recorder import STATE
from agentreel.storage import Store, load_payload


class Scripted:
    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.started: list[tuple[int, str, Any]] = []
        self.finished: list[int] = []

    def step_started(self, step: StepHandle) -> Answer | None:
        self.started.append((step.number, step.name, step.input))
        if step.name == "forbidden":
            raise AgentreelError("stop: this call is not in the recording")
        return self.answers.get(step.name)

    def step_finished(self, step: StepHandle) -> None:
        self.finished.append(step.number)


def test_answered_steps_skip_their_code(recorded: Store) -> None:
    calls: list[str] = []

    @agentreel.tool
    def search(q: str) -> str:
        calls.append(q)
        return "live"

    @agentreel.tool
    def fetch(url: str) -> str:
        calls.append(url)
        return "live"

    @agentreel.tool
    def explode() -> None:
        calls.append("explode")

    scripted = Scripted(
        {
            "search": Answer(output="recorded"),
            "explode": Answer(exception=FileNotFoundError("recorded failure")),
        }
    )
    assert STATE.recorder is not None
    STATE.recorder.interceptor = scripted
    with agentreel.session("s"):
        assert search("q") == "recorded"
        assert fetch("u") == "live"
        with pytest.raises(FileNotFoundError, match="recorded failure"):
            explode()
        with pytest.raises(AgentreelError, match="not in the recording"):
            agentreel.tool(lambda: calls.append("never"), name="forbidden")()
    STATE.recorder.interceptor = None
    assert calls == ["u"]
    assert scripted.started == [
        (1, "search", {"q": "q"}),
        (2, "fetch", {"url": "u"}),
        (3, "explode", {}),
        (4, "forbidden", {}),
    ]
    assert scripted.finished == [1, 2, 3, 4]
    agentreel.flush()
    (summary,) = recorded.list_sessions()
    steps = recorded.get_steps(summary.session.id)
    assert steps[0].attributes == {"agentreel.answered_by": "replay"}
    assert load_payload(recorded, steps[0].output_ref) == "recorded"
    assert "agentreel.answered_by" not in steps[1].attributes
    assert steps[2].error is not None and steps[2].error.message == "recorded failure"
    assert steps[3].error is not None and "not in the recording" in steps[3].error.message


def test_a_broken_interceptor_is_contained(recorded: Store) -> None:
    class Broken:
        def step_started(self, step: StepHandle) -> Answer | None:
            raise RuntimeError("bug")

        def step_finished(self, step: StepHandle) -> None:
            raise RuntimeError("bug")

    @agentreel.tool
    def work() -> int:
        return 5

    assert STATE.recorder is not None
    STATE.recorder.interceptor = Broken()
    with agentreel.session("s"):
        assert work() == 5
    STATE.recorder.interceptor = None
    assert agentreel.stats()["hook_errors"] == 2
