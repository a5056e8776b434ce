"""Approval: matching steps wait for a person; resolved from another thread, or timed out."""

from __future__ import annotations

import time
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.errors import ConfigurationError, StepVetoed
from agentreel.guards import Approval
from agentreel.hooks import Call

from .conftest import Reel, resolve_next

RAN: list[str] = []


@agentreel.tool
def deploy(service: str, env: str = "staging") -> str:
    RAN.append(f"{service}@{env}")
    return "deployed"


@agentreel.tool
def status(service: str) -> str:
    return "green"


@pytest.fixture(autouse=True)
def _clear() -> None:
    RAN.clear()


def test_continue_lets_the_step_run(reel: Reel) -> None:
    hooks.register(Approval("tool:deploy*", reason="deploys need a human"))
    resolver = resolve_next("continue")
    sid = reel.record(lambda: (status("api"), deploy("api")))
    resolver.join()
    assert RAN == ["api@staging"]
    step = reel.steps(sid)[1]
    assert step.attributes["agentreel.pause.reason"] == "deploys need a human: tool deploy"
    assert step.attributes["agentreel.pause.resolution"] == "continue"
    assert step.attributes["agentreel.decision"] == "allow"
    assert step.attributes["agentreel.decision.hook"] == "tester"


def test_skip_vetoes_the_step(reel: Reel) -> None:
    hooks.register(Approval("deploy"))
    resolver = resolve_next("skip")
    with pytest.raises(StepVetoed, match=r"skipped at a pause \(needs approval: tool deploy\)"):
        reel.record(lambda: deploy("api"))
    resolver.join()
    assert RAN == []


def test_edit_runs_the_step_with_the_person_s_input(reel: Reel) -> None:
    hooks.register(Approval(lambda call: call.arguments.get("env") == "prod"))
    resolver = resolve_next("edit", input={"env": "staging"})
    sid = reel.record(lambda: (deploy("api", env="dev"), deploy("api", env="prod")))
    resolver.join()
    assert RAN == ["api@dev", "api@staging"]
    edited = reel.steps(sid)[1]
    assert edited.attributes["agentreel.decision"] == "replace"
    assert edited.attributes["agentreel.decision.input"] == {"env": "staging"}


def test_nobody_answering_is_a_veto(reel: Reel) -> None:
    hooks.register(Approval("tool", timeout=0.2))
    started = time.monotonic()
    with pytest.raises(StepVetoed, match="skipped at a pause"):
        reel.record(lambda: status("api"))
    assert 0.15 < time.monotonic() - started < 2.0


def test_a_predicate_that_raises_asks_a_person(reel: Reel) -> None:
    def broken(call: Call) -> bool:
        raise KeyError("env")

    hooks.register(Approval(broken, timeout=0.1))
    with pytest.raises(StepVetoed, match=r"the approval rule raised KeyError"):
        reel.record(lambda: status("api"))


@pytest.mark.parametrize(
    ("match", "problem"),
    [([], "matches nothing"), ([5], "neither a pattern string nor a predicate"), (5, "give")],
)
def test_bad_matches_say_what_to_fix(match: Any, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        Approval(match)
