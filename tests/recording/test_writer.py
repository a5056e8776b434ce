"""The background writer: bursts wait for it (never for a stuck one); what its batches say."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterable, Iterator

import pytest

import agentreel
from agentreel.errors import ConfigurationError
from agentreel.recording import Recorder, StepHandle
from agentreel.recording._writer import CHUNK
from agentreel.storage import MemoryStore, Store, WriteBatch, WritesMany

from ._stores import SlowStore


class StuckStore(MemoryStore):
    """A memory store whose writes hang until released (a database another process locked)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def write(self, batch: WriteBatch) -> None:
        self.release.wait(30)
        super().write(batch)


@pytest.fixture
def stuck() -> Iterator[StuckStore]:
    store = StuckStore()
    yield store
    store.release.set()
    agentreel.shutdown(timeout=10)


def _burst(recorder: Recorder, steps: int) -> int:
    """Record ``steps`` empty steps as fast as possible; the longest queue seen."""
    longest = 0
    with agentreel.session("burst"):
        for i in range(steps):
            with agentreel.step("tool", f"t{i}"):
                pass
            longest = max(longest, recorder.writer.pending)
    return longest


def test_a_burst_waits_for_the_writer_and_loses_nothing() -> None:
    store = SlowStore(0.005)
    # A generous wait: on a loaded machine a drain may take longer than the default.
    recorder = agentreel.configure(store=store, queue_size=5_000, queue_wait=10)
    assert recorder is not None
    high = recorder.writer.high_water
    assert high == 1024
    longest = _burst(recorder, 4_000)
    assert agentreel.flush(timeout=30)
    stats = agentreel.stats()
    agentreel.shutdown()
    assert stats["dropped_queue_full"] == 0
    assert stats["steps"] >= 4_000
    # One thread submits at a time: the queue never grows past the mark by more than one.
    assert longest <= high + 1, longest
    (summary,) = store.list_sessions()
    assert summary.step_count == 4_000


def test_queue_wait_zero_never_waits() -> None:
    store = SlowStore(0.2)
    recorder = agentreel.configure(store=store, queue_size=5_000, queue_wait=0)
    assert recorder is not None
    longest = _burst(recorder, 3_000)
    agentreel.shutdown(timeout=30)
    # Nothing held the loop back: the writer, 200 ms a batch, fell far behind.
    assert longest > 1024 + 100, longest


def test_a_stuck_writer_is_waited_for_once(stuck: StuckStore) -> None:
    recorder = agentreel.configure(store=stuck, queue_size=3_000, queue_wait=0.3)
    assert recorder is not None
    start = time.monotonic()
    _burst(recorder, 5_000)
    elapsed = time.monotonic() - start
    # One wait of 0.3 s, then the loop runs on at full speed (and drops what
    # does not fit): waiting at every step would take many minutes.
    assert 0.3 <= elapsed < 3.0, elapsed
    assert agentreel.stats()["dropped_queue_full"] > 0


def test_the_writer_is_waited_for_again_once_it_writes(stuck: StuckStore) -> None:
    recorder = agentreel.configure(store=stuck, queue_size=50_000, queue_wait=1)
    assert recorder is not None
    writer = recorder.writer
    # Stalled: after one wait the burst runs past the mark.
    assert _burst(recorder, 4_000) > writer.high_water + 100
    stuck.release.set()
    assert agentreel.flush(timeout=30)
    longest = _burst(recorder, 4_000)
    assert longest <= writer.high_water + 1, longest


def test_a_small_queue_is_waited_for_at_half() -> None:
    recorder = agentreel.configure(store=SlowStore(0.001), queue_size=200, queue_wait=10)
    assert recorder is not None
    assert recorder.writer.high_water == 100
    longest = _burst(recorder, 1_000)
    dropped = agentreel.stats()["dropped_queue_full"]
    agentreel.shutdown()
    assert longest <= 101, longest
    assert dropped == 0


@pytest.mark.parametrize("wait", [-1.0, float("nan")])
def test_a_negative_wait_is_refused(wait: float) -> None:
    with pytest.raises(ConfigurationError, match="queue_wait"):
        agentreel.configure(store=MemoryStore(), queue_wait=wait)


class BatchLog(MemoryStore):
    """A memory store that notes each batch's steps and how many it called new."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[tuple[int, list[tuple[int, str]]]] = []

    def write(self, batch: WriteBatch) -> None:
        rows = [(row.number, str(row.status)) for row in batch.steps]
        self.batches.append((batch.new_steps, rows))
        super().write(batch)


def test_the_writer_calls_new_only_steps_it_never_wrote() -> None:
    store = BatchLog()
    agentreel.configure(store=store, flush_interval=30)
    with agentreel.session("s"):
        with agentreel.step("tool", "long"):
            with agentreel.step("tool", "short"):
                pass
            assert agentreel.flush()  # "long" is written running, "short" finished
            with agentreel.step("tool", "later"):
                pass
    assert agentreel.flush()
    agentreel.shutdown()
    steps = [b for b in store.batches if b[1]]
    assert steps == [
        (2, [(1, "running"), (2, "ok")]),
        # "long" ends: written before, so after the one new step.
        (1, [(3, "ok"), (1, "ok")]),
    ]


class HandleCounter(MemoryStore):
    """Notes how many step handles are alive while each batch is written."""

    def __init__(self) -> None:
        super().__init__()
        self.alive: list[int] = []

    def write(self, batch: WriteBatch) -> None:
        if batch.steps:
            # Only this batch's session's: other tests may leave handles behind.
            ids = {row.session_id for row in batch.steps}
            alive = (
                o
                for o in gc.get_objects()
                if type(o) is StepHandle and o.session is not None and o.session.id in ids
            )
            self.alive.append(sum(1 for _ in alive))
        super().write(batch)


def _record(store: Store, steps: int) -> dict[str, int]:
    """Record ``steps`` steps into ``store``, written in one go by the flush; the stats."""
    agentreel.configure(store=store, flush_interval=30)
    with agentreel.session("s"):
        for i in range(steps):
            with agentreel.step("tool", f"t{i}"):
                pass
    assert agentreel.flush(timeout=10)  # returns: nothing is retried for ever
    stats = agentreel.stats()
    agentreel.shutdown()
    return stats


def test_the_writer_lets_handles_go_before_it_writes() -> None:
    # Handles kept through the write would live long enough to burden the
    # garbage collector's older generations.
    store = HandleCounter()
    _record(store, 200)
    assert store.alive == [0]


class ManyLog(MemoryStore):
    """A memory store that also writes several batches at once, noting their sizes."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.sizes: list[int] = []
        self.fail_after = fail_after

    def write_many(self, batches: Iterable[WriteBatch]) -> None:
        for batch in batches:
            if self.fail_after is not None and len(self.sizes) == self.fail_after:
                raise OSError("disk full")
            self.sizes.append(len(batch.steps) + len(batch.sessions))
            self.write(batch)


def test_a_store_that_writes_many_gets_small_batches() -> None:
    store = ManyLog()
    assert isinstance(store, WritesMany)
    _record(store, 300)
    assert sum(store.sizes) >= 301
    assert max(store.sizes) <= CHUNK
    (summary,) = store.list_sessions()
    assert summary.step_count == 300


def test_what_a_failed_write_many_was_given_or_not_asked_for_is_counted_lost() -> None:
    store = ManyLog(fail_after=1)
    stats = _record(store, 300)
    # The store failed on its second batch: the first, which it took, and
    # the rest, which it never asked for, are counted lost: 300 steps and
    # the session, queued at its start and at its end.
    assert store.sizes == [CHUNK]
    assert stats["write_errors"] == 302
