"""LoopGuard: the same call again and again, or a cycle of calls, with no progress."""

from __future__ import annotations

import itertools
import time

import pytest

import agentreel
from agentreel import hooks
from agentreel.errors import StepVetoed
from agentreel.guards import LoopGuard

from .conftest import Reel, settle

STATUS = itertools.count()


@agentreel.tool
def read(path: str) -> str:
    return f"contents of {path}"


@agentreel.tool
def build_status(build: int) -> str:
    return f"step {next(STATUS)}"


@agentreel.llm
def think(messages: list[str]) -> str:
    return "again"


def test_the_same_call_a_fourth_time_is_vetoed(reel: Reel) -> None:
    hooks.register(LoopGuard(max_repeats=3))
    done: list[str] = []

    def run() -> None:
        for _ in range(3):
            done.append(read("a.txt"))
            settle()
        read("b.txt")  # other calls in between do not reset the count
        with pytest.raises(StepVetoed) as info:
            read("a.txt")
        assert info.value.reason == (
            "loop: the same call of read with these arguments was already made 3 times "
            "(steps 1, 2, 3) with no progress; the limit is 3"
        )
        with pytest.raises(StepVetoed):  # and again: a vetoed call does not count
            read("a.txt")

    sid = reel.record(run)
    assert len(done) == 3
    assert [s.attributes.get("agentreel.decision") for s in reel.steps(sid)] == [
        None, None, None, None, "veto", "veto",
    ]  # fmt: skip


def test_a_tool_whose_answer_changes_is_polled_not_looped(reel: Reel) -> None:
    hooks.register(LoopGuard(max_repeats=2))

    def run() -> None:
        for _ in range(6):
            build_status(7)
            settle()  # the guard sees each answer before the next call

    reel.record(run)  # no veto


def test_a_cycle_with_the_same_results_is_vetoed_when_it_starts_again(reel: Reel) -> None:
    hooks.register(LoopGuard(max_repeats=3, kinds=("tool",)))

    def run() -> None:
        for _ in range(3):
            read("a")
            read("b")
        with pytest.raises(StepVetoed, match=r"the calls read → read went round 3 times"):
            read("a")

    reel.record(run)


def test_identical_model_requests_count_whatever_they_answer(reel: Reel) -> None:
    hooks.register(LoopGuard(max_repeats=2))

    def run() -> None:
        think(["hello"])
        think(["hello"])
        think(["hello", "again"])  # a different request
        with pytest.raises(StepVetoed, match="the same model request was already made 2 times"):
            think(["hello"])

    reel.record(run)


def test_pause_waits_for_a_person_and_vetoes_when_nobody_answers(reel: Reel) -> None:
    hooks.register(LoopGuard(max_repeats=1, action="pause", pause_timeout=0.2))

    def run() -> None:
        read("a")
        started = time.monotonic()
        with pytest.raises(StepVetoed, match="skipped at a pause"):
            read("a")
        assert 0.15 < time.monotonic() - started < 2.0

    sid = reel.record(run)
    step = reel.steps(sid)[1]
    assert step.attributes["agentreel.pause.resolution"] == "timeout"
    assert step.attributes["agentreel.decision"] == "veto"
    assert str(step.attributes["agentreel.pause.reason"]).startswith("loop: the same call")
