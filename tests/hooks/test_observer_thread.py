"""The observers' thread on its own: order, containment, time limits, a full queue, idling."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

import pytest

from agentreel.hooks import Impl, _observe, hookimpl
from agentreel.hooks._observe import ObserverThread, Plan
from agentreel.hooks._plugin import make_plugin

_given = itemgetter(2)


class Observers:
    """An ObserverThread with the losses and disablings it reports."""

    def __init__(self) -> None:
        self.losses: list[tuple[str, str]] = []
        self.disabled_impls: list[str] = []
        self.disabled: set[str] = set()
        self.thread = ObserverThread(self._loss, self._disable, self.disabled)

    def _loss(self, reason: str, n: int = 1, detail: str = "") -> None:
        self.losses.append((reason, detail))

    def _disable(self, impl: Impl) -> None:
        self.disabled_impls.append(impl.label)

    def plan(self, *plugins: object) -> Plan:
        impls = tuple(i for p in plugins for i in make_plugin(p).impls)
        plan = self.thread.plan(impls)
        assert plan is not None
        return plan

    def put(self, plan: Plan, event: Any) -> None:
        self.thread.put((plan, _given, event))


class Log:
    def __init__(self, name: str = "Log") -> None:
        self.name = name
        self.seen: list[Any] = []
        self.threads: set[threading.Thread] = set()

    def on_step_start(self, event: Any) -> None:
        self.threads.add(threading.current_thread())
        self.seen.append(event)


class Raises:
    def __init__(self, name: str) -> None:
        self.name = name

    def on_step_start(self, event: Any) -> None:
        raise ValueError(f"{self.name} broke on {event}")


@pytest.fixture
def obs() -> Iterator[Observers]:
    o = Observers()
    yield o
    o.thread.close()


def test_every_event_in_order_and_each_raising_observer_counted(obs: Observers) -> None:
    first, log, second, last = Raises("first"), Log("log"), Raises("second"), Log("last")
    plan = obs.plan(first, log, second, last)
    for i in range(200):
        obs.put(plan, i)
    assert obs.thread.drain(5)
    assert log.seen == last.seen == list(range(200))
    # One loss per failing call, naming the observer that raised.
    errors = [detail for reason, detail in obs.losses if reason == "hook_errors"]
    assert len(errors) == 400
    assert sum("observer first.on_step_start raised" in d for d in errors) == 200
    assert sum("observer second.on_step_start raised" in d for d in errors) == 200


def test_a_failing_event_builder_is_counted_and_the_next_event_delivered(obs: Observers) -> None:
    log = Log()
    plan = obs.plan(log)
    obs.thread.put((plan, lambda item: 1 / 0))
    obs.put(plan, "next")
    assert obs.thread.drain(5)
    assert log.seen == ["next"]
    assert [r for r, _ in obs.losses] == ["hook_errors"]


def test_events_beyond_the_queue_limit_are_dropped_and_counted(
    obs: Observers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_observe, "MAX_PENDING", 5)
    entered, release = threading.Event(), threading.Event()
    log = Log()

    class Blocks:
        def on_step_start(self, event: Any) -> None:
            if event == 0:
                entered.set()
                release.wait(5)

    plan = obs.plan(Blocks(), log)
    obs.put(plan, 0)
    assert entered.wait(5)  # the thread holds event 0: the queue is empty
    for i in range(1, 20):
        obs.put(plan, i)
    release.set()
    assert obs.thread.drain(5)
    assert log.seen == [0, 1, 2, 3, 4, 5]
    assert [r for r, _ in obs.losses] == ["hook_events_dropped"] * 14


def test_a_hung_observer_is_disabled_even_for_the_events_queued_for_it(obs: Observers) -> None:
    release = threading.Event()
    calls: list[Any] = []

    class Stuck:
        @hookimpl(timeout=0.1)
        def on_step_start(self, event: Any) -> None:
            calls.append(event)
            release.wait(10)

    log = Log()
    plan = obs.plan(Stuck(), log)
    try:
        for i in range(3):
            obs.put(plan, i)
        started = time.monotonic()
        assert obs.thread.drain(5)
        assert time.monotonic() - started < 2
    finally:
        release.set()
    assert calls == [0]
    # Event 0 was abandoned with the stuck call; the others reach the rest.
    assert log.seen == [1, 2]
    assert obs.disabled_impls == ["Stuck.on_step_start"]
    assert [r for r, _ in obs.losses] == ["hook_timeouts"]
    # The abandoned thread, released, calls nobody else and ends.
    time.sleep(0.05)
    assert log.seen == [1, 2]


def test_the_limit_is_per_call_not_per_event(obs: Observers) -> None:
    class Slow:
        def __init__(self, name: str) -> None:
            self.name = name
            self.calls = 0

        @hookimpl(timeout=0.25)
        def on_step_start(self, event: Any) -> None:
            self.calls += 1
            time.sleep(0.1)

    slow = [Slow("first"), Slow("second"), Slow("third")]
    plan = obs.plan(*slow)
    obs.put(plan, 1)
    obs.put(plan, 2)
    # Each event takes 0.3 s, more than any limit; no call takes 0.25 s.
    assert obs.thread.drain(5)
    assert [s.calls for s in slow] == [2, 2, 2]
    assert obs.losses == []
    assert obs.disabled_impls == []


def test_an_idle_thread_sleeps_until_woken(obs: Observers) -> None:
    log = Log()
    plan = obs.plan(log)
    obs.put(plan, 1)
    assert obs.thread.drain(5)
    deadline = time.monotonic() + 5
    while not obs.thread._idle:  # it stops polling after LINGER
        assert time.monotonic() < deadline
        time.sleep(0.01)
    obs.put(plan, 2)
    assert obs.thread.drain(1)
    assert log.seen == [1, 2]
    assert len(log.threads) == 1  # the same thread, woken


def test_close_delivers_what_is_queued_then_ends_the_thread(obs: Observers) -> None:
    log = Log()
    plan = obs.plan(log)
    for i in range(100):
        obs.put(plan, i)
    obs.thread.close()
    (thread,) = log.threads or _wait_for(log)
    thread.join(5)
    assert not thread.is_alive()
    assert log.seen == list(range(100))
    # A put after close starts a thread again.
    obs.put(plan, "again")
    assert obs.thread.drain(5)
    assert log.seen[-1] == "again"


def test_coroutine_observers_are_run_to_completion(obs: Observers) -> None:
    seen: list[Any] = []

    class Async:
        async def on_step_start(self, event: Any) -> None:
            seen.append(event)

    plan = obs.plan(Async())
    obs.put(plan, "a")
    obs.put(plan, "b")
    assert obs.thread.drain(5)
    assert seen == ["a", "b"]


def _wait_for(log: Log) -> set[threading.Thread]:
    deadline = time.monotonic() + 5
    while not log.threads and time.monotonic() < deadline:
        time.sleep(0.01)
    return log.threads


def test_a_hang_after_an_abandoned_call_returns_is_still_caught(obs: Observers) -> None:
    # The first hung call returns while the new thread is inside the next
    # hung call: the old thread must leave the new one's bookkeeping alone.
    release_first, release_second = threading.Event(), threading.Event()
    abandoned: list[threading.Thread] = []

    class First:
        @hookimpl(timeout=0.1)
        def on_step_start(self, event: Any) -> None:
            abandoned.append(threading.current_thread())
            release_first.wait(10)

    class Second:
        @hookimpl(timeout=0.3)
        def on_step_start(self, event: Any) -> None:
            # Let the first call return, and its thread end, while this one runs.
            release_first.set()
            abandoned[0].join(5)
            release_second.wait(10)

    plan = obs.plan(First(), Second())
    try:
        obs.put(plan, 0)  # First hangs on it
        obs.put(plan, 1)  # Second, on the new thread, hangs on it
        started = time.monotonic()
        assert obs.thread.drain(3)
        assert time.monotonic() - started < 2
    finally:
        release_first.set()
        release_second.set()
    assert not abandoned[0].is_alive()
    assert obs.disabled_impls == ["First.on_step_start", "Second.on_step_start"]
    assert [r for r, _ in obs.losses] == ["hook_timeouts"] * 2


@pytest.mark.parametrize("with_log", [False, True], ids=["alone", "before-another"])
def test_an_abandoned_call_that_raises_when_it_returns_is_not_misreported(
    obs: Observers, monkeypatch: pytest.MonkeyPatch, with_log: bool
) -> None:
    # By then the plan no longer holds it (empty, or only the others): the
    # old thread must neither blame another observer nor die indexing it.
    release = threading.Event()
    abandoned: list[threading.Thread] = []
    died: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))

    class Stuck:
        @hookimpl(timeout=0.1)
        def on_step_start(self, event: Any) -> None:
            abandoned.append(threading.current_thread())
            release.wait(10)
            raise ValueError("late")

    log = Log()
    plan = obs.plan(Stuck(), log) if with_log else obs.plan(Stuck())
    try:
        obs.put(plan, 0)
        assert obs.thread.drain(5)
    finally:
        release.set()
    abandoned[0].join(5)
    assert not abandoned[0].is_alive()
    assert died == []
    assert obs.disabled_impls == ["Stuck.on_step_start"]
    # Blamed once, as hung; its late exception is no one's error.
    assert [r for r, _ in obs.losses] == ["hook_timeouts"]
    if with_log:
        obs.put(plan, 1)
        assert obs.thread.drain(5)
        assert log.seen == [1]
