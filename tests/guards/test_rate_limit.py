"""RateLimit: a token bucket that waits or vetoes, timed."""

from __future__ import annotations

import time
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.errors import ConfigurationError, StepVetoed
from agentreel.guards import RateLimit

from .conftest import Reel

CALLED: list[float] = []


@agentreel.llm
def chat(prompt: str) -> str:
    CALLED.append(time.monotonic())
    return "ok"


@agentreel.tool
def lookup(key: str) -> str:
    return key


def test_wait_spaces_calls_out_to_the_rate(reel: Reel) -> None:
    CALLED.clear()
    hooks.register(RateLimit(calls=2, per=0.5))  # a burst of 2, then one every 0.25 s
    started: list[float] = []

    def run() -> None:
        started.append(time.monotonic())
        for i in range(4):
            chat(str(i))
        lookup("tools are not limited")

    reel.record(run)
    offsets = [t - started[0] for t in CALLED]
    assert offsets[1] < 0.1  # the burst
    assert 0.2 <= offsets[2] < 0.45
    assert 0.45 <= offsets[3] < 0.8


def test_veto_refuses_calls_beyond_the_rate(reel: Reel) -> None:
    CALLED.clear()
    hooks.register(RateLimit(calls=2, per=60, kinds=("llm", "tool"), action="veto"))

    def run() -> None:
        chat("a")
        lookup("b")
        started = time.monotonic()
        with pytest.raises(StepVetoed) as info:
            chat("c")
        assert time.monotonic() - started < 0.2  # refused at once, not after a wait
        assert info.value.reason == (
            "rate limit: 2 llm/tool calls per 60 s in this session already made"
        )

    sid = reel.record(run)
    assert len(CALLED) == 1
    assert reel.steps(sid)[2].attributes["agentreel.decision.hook"] == "RateLimit"
    # Per session: the next session has its own bucket.
    reel.record(lambda: (chat("d"), chat("e")))
    assert len(CALLED) == 3


def test_a_process_wide_limit_spans_sessions_and_caps_the_wait(reel: Reel) -> None:
    CALLED.clear()
    hooks.register(RateLimit(calls=1, per=30, key="process", max_wait=0.5))
    reel.record(lambda: chat("a"))
    with pytest.raises(StepVetoed, match=r"this call's turn is more than max_wait=0\.5 s away"):
        reel.record(lambda: chat("b"))
    assert len(CALLED) == 1


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"calls": 0, "per": 1}, "calls=...\\) must be a positive number"),
        ({"calls": 1, "per": 1, "key": "user"}, "key='user'"),
        ({"calls": 1, "per": 1, "max_wait": 900}, "at most 300 s"),
        ({"calls": 1, "per": 1, "kinds": ("plan",)}, "kinds='plan'"),
    ],
)
def test_bad_options_say_what_to_fix(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        RateLimit(**options)
