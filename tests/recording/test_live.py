"""The step hot path's shortcuts: each one skips work only while it is not needed."""

from __future__ import annotations

import re
from typing import Any

import pytest

import agentreel
from agentreel.recording import Answer, StepHandle, _live
from agentreel.recording._recorder import STATE
from agentreel.storage import MemoryStore


class Counting:
    """An interceptor that answers nothing and counts what it sees."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []

    def step_started(self, step: StepHandle) -> Answer | None:
        self.started.append(step.name)
        return None

    def step_finished(self, step: StepHandle) -> None:
        self.finished.append(step.name)


def test_an_interceptor_set_on_a_running_recorder_sees_steps_until_removed(
    memory: MemoryStore,
) -> None:
    rec = STATE.recorder
    assert rec is not None
    previous = rec.hooks
    rec.hooks = None  # whatever an earlier test left installed
    try:
        assert not rec.watched  # nothing installed: steps skip the interceptor and hook calls
        counting = Counting()
        with agentreel.session("s"):
            with agentreel.step("tool", "before"):
                pass
            rec.interceptor = counting
            assert rec.watched
            with agentreel.step("tool", "during"):
                pass
            rec.interceptor = None
            assert not rec.watched
            with agentreel.step("tool", "after"):
                pass
    finally:
        rec.hooks = previous
    assert counting.started == ["during"]
    assert counting.finished == ["during"]


def test_installed_hooks_keep_the_recorder_watched_without_an_interceptor(
    memory: MemoryStore,
) -> None:
    rec = STATE.recorder
    assert rec is not None

    class Manager(Counting):
        active = True

        def session_started(self, session: Any) -> None: ...
        def session_finished(self, session: Any) -> None: ...

    manager = Manager()
    previous = rec.hooks
    rec.hooks = manager
    try:
        rec.interceptor = Counting()
        rec.interceptor = None  # removing replay must not switch the hooks off
        assert rec.watched
        with agentreel.session("s"), agentreel.step("tool", "seen"):
            pass
    finally:
        rec.hooks = previous
    assert manager.started == ["seen"]
    assert manager.finished == ["seen"]


def test_steps_pick_up_executing_marks_once_executing_is_used(memory: MemoryStore) -> None:
    with agentreel.session("s"):
        with agentreel.step("tool", "plain") as plain:
            pass
        with agentreel.executing("s1"), agentreel.step("tool", "marked") as marked:
            pass
        with agentreel.step("tool", "after") as after:
            pass
    assert "plan_step" not in plain.attributes
    assert marked.attributes["plan_step"] == "s1"
    assert "plan_step" not in after.attributes


def test_a_span_id_batch_holds_distinct_nonzero_16_digit_hex_ids() -> None:
    ids = list(_live._span_batch())
    assert len(ids) == _live._BATCH
    assert all(re.fullmatch("[0-9a-f]{16}", s) for s in ids)
    assert len(set(ids)) == len(ids)
    assert _live._NO_SPAN not in ids


def test_a_zero_span_id_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # A generator that draws nothing but zero bits: every id of the batch is
    # the one OpenTelemetry forbids, and all of them are dropped.
    class Zeros:
        def getrandbits(self, k: int) -> int:
            return 0

    monkeypatch.setattr(_live, "_ids", Zeros())
    assert list(_live._span_batch()) == []


def test_step_accepts_a_stepkind_and_an_unknown_kind(memory: MemoryStore) -> None:
    with agentreel.session("s"):
        with agentreel.step(agentreel.StepKind.LLM, "enum") as by_enum:
            pass
        with agentreel.step("nonsense", "unknown") as unknown:
            pass
    assert type(by_enum.kind) is str and by_enum.kind == "llm"
    assert unknown.kind == "custom"
