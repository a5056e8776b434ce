"""Observers run on their own thread, so the agent never waits for them.

Events are small tuples taken on the agent's thread (a snapshot of the
step at that moment) and turned into frozen events here. The agent only
appends to a deque: waking the observers' thread for every event would cost
the agent a thread switch per step (measured: about 20 us), so the thread
polls instead, every ``POLL`` seconds, and takes everything queued. An observer that
raises is counted; one that overruns its time limit is disabled and the
thread replaced, so one stuck observer cannot hold back the others.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from ._plugin import Impl

__all__ = ["ObserverThread"]

#: Events waiting for observers beyond this are dropped (and counted).
MAX_PENDING = 50_000
#: How long the observers' thread sleeps when it has nothing to do.
POLL = 0.002
_STOP = object()
#: The observers an event goes to, each with the callable that runs it.
_Plan = tuple[tuple[Impl, Callable[[Any], Any]], ...]


class ObserverThread:
    """Delivers events to observers in order, off the agent's thread."""

    def __init__(
        self, loss: Callable[..., None], disable: Callable[[Impl], None], disabled: set[str]
    ) -> None:
        self._loss = loss
        self._disable = disable
        self._disabled = disabled
        self._queue: collections.deque[Any] = collections.deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        #: The observer being called, and when its event's delivery began.
        self._busy: Impl | None = None
        self._since = 0.0
        self._generation = 0
        # Counted with itertools.count, whose next() is atomic under the GIL:
        # agents on many threads put events without taking a lock.
        self._queued = itertools.count(1)
        self._last_queued = 0
        self._delivered = 0

    @property
    def pending(self) -> int:
        return self._last_queued - self._delivered

    def put(self, impls: tuple[Impl, ...], build: Callable[[Any], Any] | None, arg: Any) -> None:
        """Queue an event for ``impls``: ``arg``, or ``build(arg)`` built on the
        observers' thread. Never blocks."""
        # Runs on the agent's thread twice per step: no Thread.is_alive()
        # here (it takes a lock, a third of this method's cost); the loop
        # clears _thread itself when it ends.
        if self._last_queued - self._delivered >= MAX_PENDING:
            self._loss("hook_events_dropped", detail="observers fell behind; events dropped")
            return
        self._last_queued = next(self._queued)
        self._queue.append((impls, build, arg))
        if self._thread is None:
            self._start()
        elif self._busy is not None:
            self._watch()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._generation += 1
            self._thread = threading.Thread(
                target=self._loop,
                args=(self._generation,),
                name="agentreel-observers",
                daemon=True,
            )
            self._thread.start()

    def _watch(self) -> None:
        busy = self._busy
        if busy is None or time.monotonic() - self._since <= busy.timeout:
            return
        impl = busy
        with self._lock:
            if self._busy is not busy:
                return
            self._busy = None
            # Abandon the stuck thread: it exits when (if) its call returns,
            # and the event it holds counts as delivered now.
            self._generation += 1
            self._thread = None
            self._delivered += 1
        self._loss("hook_timeouts", detail=f"observer {impl.label} hung; it is disabled")
        self._disable(impl)
        self._start()

    def _loop(self, generation: int) -> None:
        try:
            self._deliver(generation)
        finally:
            # However the loop ended (a stop, an observer raising SystemExit),
            # the next put() starts a thread again, unless a newer one took over.
            with self._lock:
                if self._generation == generation:
                    self._thread = None

    def _deliver(self, generation: int) -> None:
        queue = self._queue
        disabled = self._disabled
        # id(impls) -> (impls, ((impl, callable), ...)) without the disabled
        # ones and with coroutines wrapped, so the inner loop below does
        # nothing but call. Keyed by id: hashing the tuple would hash every
        # Impl in Python. The entry keeps its tuple alive, so the id cannot
        # be reused while it is here. Rebuilt when an observer is disabled.
        plans: dict[int, tuple[tuple[Impl, ...], _Plan]] = {}
        seen_disabled = len(disabled)
        while generation == self._generation:
            try:
                item = queue.popleft()
            except IndexError:
                time.sleep(POLL)
                continue
            if item is _STOP:
                return
            impls, build, event = item
            try:
                if build is not None:
                    event = build(event)
            except Exception as exc:
                self._loss("hook_errors", detail=f"building a hook event failed: {exc!r}")
                self._delivered += 1
                continue
            if len(disabled) != seen_disabled:
                plans.clear()
                seen_disabled = len(disabled)
            entry = plans.get(id(impls))
            if entry is None or entry[0] is not impls:
                entry = plans[id(impls)] = (impls, _plan(impls, disabled))
            plan = entry[1]
            # One clock read per event, not per observer: the watchdog blames
            # the observer running now once the event has taken too long.
            self._since = time.monotonic()
            for impl, fn in plan:
                self._busy = impl
                try:
                    fn(event)
                except Exception as exc:
                    self._loss("hook_errors", detail=f"observer {impl.label} raised {exc!r}")
                if generation != self._generation:
                    return  # declared stuck while we were in it; a new thread took over
            self._busy = None
            self._delivered += 1

    def close(self) -> None:
        """Let the thread finish what is queued, then stop."""
        self._queue.append(_STOP)

    def drain(self, timeout: float) -> bool:
        """Wait until queued events are delivered (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self.pending > 0:
            if time.monotonic() > deadline:
                return False
            self._watch()
            time.sleep(0.001)
        return True


def _plan(impls: tuple[Impl, ...], disabled: set[str]) -> _Plan:
    def run_async(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda event: _asyncio().run(fn(event))

    return tuple(
        (impl, run_async(impl.fn) if impl.is_async else impl.fn)
        for impl in impls
        if impl.label not in disabled
    )


def _asyncio() -> Any:
    # Imported on first use: asyncio costs about 20 ms at start-up, and most
    # hooks are not coroutines.
    import asyncio

    return asyncio
