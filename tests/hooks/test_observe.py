"""Observers see every event in order, off the agent's thread; failures never reach the agent."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.hooks import Call, Outcome, SessionEvent, StepEvent, hookimpl

from .conftest import Reel


@agentreel.tool
def divide(a: float, b: float) -> float:
    return a / b


class Log:
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.threads: set[str] = set()

    def _add(self, *item: Any) -> None:
        self.threads.add(threading.current_thread().name)
        self.events.append(item)

    def on_session_start(self, event: SessionEvent) -> None:
        self._add("session", event.name, event.status)

    def on_session_end(self, event: SessionEvent) -> None:
        self._add("session end", event.name, event.status)

    def on_step_start(self, event: StepEvent) -> None:
        self._add("start", event.number, event.name, event.input)

    def on_step_end(self, event: StepEvent) -> None:
        self._add("end", event.number, event.status, event.output)

    def on_error(self, event: StepEvent) -> None:
        assert event.error is not None
        self._add("error", event.number, event.error.type)


def test_observers_see_every_event_in_order_on_their_own_thread(reel: Reel) -> None:
    log = Log()
    hooks.register(log)

    def run() -> None:
        with agentreel.step("agent", "worker"):
            divide(1, 2)
            with pytest.raises(ZeroDivisionError):
                divide(1, 0)

    reel.record(run, name="maths")
    assert log.events == [
        ("session", "maths", "running"),
        ("start", 1, "worker", None),
        ("start", 2, "divide", {"a": 1, "b": 2}),
        ("end", 2, "ok", 0.5),
        ("start", 3, "divide", {"a": 1, "b": 0}),
        ("end", 3, "error", None),
        ("error", 3, "ZeroDivisionError"),
        ("end", 1, "ok", None),
        ("session end", "maths", "ok"),
    ]
    assert log.threads == {"agentreel-observers"}


def test_a_raising_observer_is_counted_and_the_others_still_run(reel: Reel) -> None:
    class Broken:
        def on_step_end(self, event: StepEvent) -> None:
            raise ValueError("observer bug")

    log = Log()
    hooks.register(Broken())
    hooks.register(log)
    results: list[float] = []
    reel.record(lambda: results.append(divide(3, 4)))
    assert results == [0.75]
    assert ("end", 1, "ok", 0.75) in log.events
    assert agentreel.stats().get("hook_errors") == 1


def test_a_hung_observer_never_holds_the_agent_and_is_disabled(reel: Reel) -> None:
    release = threading.Event()

    class Stuck:
        @hookimpl(timeout=0.1)
        def on_step_start(self, event: StepEvent) -> None:
            release.wait(10)

    log = Log()
    hooks.register(Stuck())
    hooks.register(log)
    started = time.monotonic()
    try:

        def run() -> None:
            for i in range(5):
                divide(i, 1)
                time.sleep(0.05)

        reel.record(run)
    finally:
        release.set()
    assert time.monotonic() - started < 2
    assert "Stuck.on_step_start" in hooks.get_manager().disabled
    # The observers' thread was replaced: the other observer saw the later steps.
    assert ("end", 5, "ok", 4.0) in log.events


def test_a_wrapper_sees_the_result_and_the_error(reel: Reel) -> None:
    seen: list[tuple[Any, ...]] = []

    class Timer:
        def around_tool_call(self, call: Call) -> Generator[None, Outcome, None]:
            outcome = yield
            error = outcome.error.type if outcome.error else None
            seen.append((call.name, call.arguments, outcome.output, error, outcome.duration_ns > 0))

    hooks.register(Timer())

    def run() -> None:
        divide(1, 4)
        with pytest.raises(ZeroDivisionError):
            divide(1, 0)

    reel.record(run)
    assert seen == [
        ("divide", {"a": 1, "b": 4}, 0.25, None, True),
        ("divide", {"a": 1, "b": 0}, None, "ZeroDivisionError", True),
    ]


def test_nothing_registered_means_nothing_called(reel: Reel) -> None:
    manager = hooks.get_manager()
    assert manager.active is False
    reel.record(lambda: divide(1, 1))
    assert manager.drain(0.1)
