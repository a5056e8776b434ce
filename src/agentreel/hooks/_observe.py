"""Observers run on their own thread, so the agent never waits for them.

The agent's thread only appends an item to a deque (atomic under the GIL):
a plan (the observers to call) and what to build their event from, built
here, off the agent's thread. Waking this thread for every event would cost
the agent a thread switch per step (measured: about 20 us), so while events
keep coming it polls, every ``POLL`` seconds, and takes everything queued;
after ``LINGER`` seconds with nothing to do it sleeps until the next put()
wakes it, so an idle process has no thread ticking. An observer that raises
is counted; one that overruns its time limit is disabled and the thread
replaced, so one stuck observer cannot hold back the others.
"""

from __future__ import annotations

import collections
import threading
import time
import weakref
from collections.abc import Callable
from operator import length_hint
from typing import Any

from ._plugin import Impl

__all__ = ["ObserverThread", "Plan"]

#: Events waiting for observers beyond this are dropped (and counted).
MAX_PENDING = 50_000
#: How long the observers' thread sleeps between looks at the queue while
#: events keep coming.
POLL = 0.002
#: After this long with nothing queued, it sleeps until woken instead.
LINGER = 0.05
_monotonic = time.monotonic


class Plan:
    """The observers one kind of event goes to, ready to call in order.

    ``fns`` are the callables (coroutines wrapped to run to completion), so
    delivery does nothing but call them; ``impls`` say whose they are.
    Prepared when plugins change, not per event.
    """

    __slots__ = ("__weakref__", "fns", "impls")

    def __init__(self, impls: tuple[Impl, ...]) -> None:
        self.impls = impls
        self.fns = tuple(_run_async(i.fn) if i.is_async else i.fn for i in impls)


#: What the agent's thread queues: ``item[0]`` is the plan, ``item[1](item)``
#: builds the event (on the observers' thread); the rest is the builder's.
#: A plan of None marks a control item: ``item[1]`` is called (a drain's
#: marker), or, if None, the thread stops.
Item = tuple[Any, ...]
_STOP: Item = (None, None)


class ObserverThread:
    """Delivers events to observers in order, off the agent's thread."""

    def __init__(
        self, loss: Callable[..., None], disable: Callable[[Impl], None], disabled: set[str]
    ) -> None:
        self._loss = loss
        self._disable = disable
        self._disabled = disabled
        self._queue: collections.deque[Item] = collections.deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._generation = 0
        #: True while no thread runs or it sleeps: the next put() wakes it.
        #: Written by the thread itself (and by _start, under the lock).
        self._idle = True
        self._wakeup = threading.Event()
        #: The event being delivered: its plan, and the iterator over the
        #: plan's callables (how far it got: the one running is the one last
        #: taken). _cursor is None between events.
        self._plan: Plan | None = None
        self._cursor: Any = None
        #: What _watch saw running last: (cursor, position, since when).
        self._seen: tuple[Any, int, float] | None = None
        #: Every plan made and still referenced, to drop a disabled observer
        #: from the events already queued for it.
        self._plans: weakref.WeakSet[Plan] = weakref.WeakSet()

    def plan(self, impls: tuple[Impl, ...]) -> Plan | None:
        """The plan for ``impls`` (None if there are none)."""
        if not impls:
            return None
        plan = Plan(impls)
        with self._lock:
            self._plans.add(plan)
        return plan

    def put(self, item: Item) -> None:
        """Queue an event (see ``Item``). Never blocks.

        Runs on the agent's thread twice per step: a length, an append and
        two flags; the watchdog only if an observer is running meanwhile.
        """
        queue = self._queue
        if len(queue) >= MAX_PENDING:
            self._loss("hook_events_dropped", detail="observers fell behind; events dropped")
            return
        queue.append(item)
        if self._idle:
            self._wake()
        elif self._cursor is not None:
            self._watch()

    def _wake(self) -> None:
        if self._thread is None:
            self._start()
        elif not self._wakeup.is_set():
            # Setting it takes a lock and notifies; until the thread is up and
            # clears it, the puts that find it set need not.
            self._wakeup.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._generation += 1
            self._idle = False
            self._thread = threading.Thread(
                target=self._loop,
                args=(self._generation,),
                name="agentreel-observers",
                daemon=True,
            )
            self._thread.start()

    def _watch(self) -> None:
        """Disable the observer running now if it has run longer than its time
        limit, and let a new thread carry on with the queue.

        The observers' thread reads no clock: this one (called by put() while
        an observer runs, and by drain()) notes when it first saw a call
        running, and blames it once it sees the same call past its limit.
        """
        plan, cursor = self._plan, self._cursor
        if cursor is None or plan is None:
            return
        # The plan's callables are taken one at a time: the one running is
        # the last one taken.
        position = len(plan.fns) - length_hint(cursor) - 1
        now = _monotonic()
        seen = self._seen
        if seen is None or seen[0] is not cursor or seen[1] != position:
            self._seen = (cursor, position, now)
            return
        impl = plan.impls[position]
        if now - seen[2] <= impl.timeout:
            return
        with self._lock:
            if (
                self._cursor is not cursor
                or self._seen is not seen
                or len(plan.fns) - length_hint(cursor) - 1 != position
            ):
                return  # it moved on meanwhile
            # Abandon the stuck thread: its event counts as delivered now, and
            # emptying its iterator makes it call no other observer when (if)
            # the stuck call returns; it then sees it is stale and exits.
            self._generation += 1
            self._thread = None
            self._cursor = None
            collections.deque(cursor, maxlen=0)
            self._disabled.add(impl.label)
            for stale in list(self._plans):
                if any(i.label in self._disabled for i in stale.impls):
                    kept = Plan(tuple(i for i in stale.impls if i.label not in self._disabled))
                    stale.impls, stale.fns = kept.impls, kept.fns
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
                current = self._generation == generation
                if current:
                    self._thread = None
                    self._cursor = None
                    self._idle = True
            if current and self._queue:
                self._start()  # put after a close(): not left waiting for the next one

    def _deliver(self, generation: int) -> None:
        idle_since: float | None = None
        while self._batch(generation):
            now = _monotonic()
            if idle_since is None:
                idle_since = now
            if now - idle_since < LINGER:
                time.sleep(POLL)
                if self._queue:
                    idle_since = None
            else:
                self._sleep()
                idle_since = None

    def _batch(self, generation: int) -> bool:
        """Deliver everything queued; False once this thread is to end."""
        queue = self._queue
        popleft = queue.popleft
        while queue:
            item = popleft()
            plan = item[0]
            if plan is None:
                if item[1] is None:
                    return False
                item[1]()
                continue
            try:
                event = item[1](item)
            except Exception as exc:
                self._loss("hook_errors", detail=f"building a hook event failed: {exc!r}")
                continue
            # The plan's tuples, as they are now: if this call is abandoned the
            # plan is rewritten without it, and a late exception must not be
            # looked up in the new one.
            impls = plan.impls
            self._plan = plan
            self._cursor = cursor = iter(plan.fns)
            # The plain loop is the fast path (a Python call from Python code
            # costs no C frame); an observer that raises ends it, and the rest
            # of the plan is called from the same iterator.
            try:
                for fn in cursor:
                    fn(event)
            except Exception as exc:
                self._raised(generation, impls, cursor, event, exc)
            if generation != self._generation:
                # Declared stuck while we were in it: _cursor is now the new
                # thread's, which the watchdog needs to catch its next hang.
                return False
            self._cursor = None
        return generation == self._generation

    def _raised(
        self, generation: int, impls: tuple[Impl, ...], cursor: Any, event: Any, exc: Exception
    ) -> None:
        """Count the observer that raised ``exc``, and call the rest of ``cursor``
        (over the callables of ``impls``)."""
        while True:
            if generation != self._generation:
                # An abandoned call, returning late: it was blamed as hung, and
                # the watchdog emptied the cursor, so the position names no one.
                return
            impl = impls[len(impls) - length_hint(cursor) - 1]
            self._loss("hook_errors", detail=f"observer {impl.label} raised {exc!r}")
            try:
                for fn in cursor:
                    fn(event)
                return
            except Exception as again:
                exc = again

    def _sleep(self) -> None:
        # Say so first, then look once more: a put() that appended before
        # seeing _idle is found here; one that sees it sets the event.
        self._idle = True
        if not self._queue:
            self._wakeup.wait()
        self._wakeup.clear()
        self._idle = False

    def close(self) -> None:
        """Let the thread finish what is queued, then stop (a later put()
        starts another)."""
        if self._thread is not None:
            self._queue.append(_STOP)
            self._wakeup.set()

    def drain(self, timeout: float) -> bool:
        """Wait until every event queued so far is delivered (for tests and shutdown)."""
        if self._thread is None and not self._queue:
            return True
        done = threading.Event()
        self._queue.append((None, done.set))
        if self._idle:
            self._wake()
        deadline = _monotonic() + timeout
        while not done.wait(0.005):
            if _monotonic() > deadline:
                return False
            self._watch()
        return True


def _run_async(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda event: _asyncio().run(fn(event))


def _asyncio() -> Any:
    # Imported on first use: asyncio costs about 20 ms at start-up, and most
    # hooks are not coroutines.
    import asyncio

    return asyncio
