"""Reads from other threads while one thread writes."""

from __future__ import annotations

import threading

from agentreel.storage import Store, WriteBatch

from ._factories import Factory

STEPS = 150
READERS = 3


def test_readers_see_a_growing_consistent_session(store: Store, make: Factory) -> None:
    session = make.session()
    sid = session.id
    store.write(WriteBatch(sessions=[session]))
    failures: list[BaseException] = []
    progress: list[list[int]] = [[] for _ in range(READERS)]
    done = threading.Event()

    def write() -> None:
        try:
            for n in range(1, STEPS + 1):
                # Each batch ends step n-1 and starts step n, in one transaction.
                rows = [make.row(sid, n, status="running", ended_at=None, tokens_in=1)]
                if n > 1:
                    rows.append(make.row(sid, n - 1, tokens_in=1))
                store.write(WriteBatch(steps=rows))
        except BaseException as exc:
            failures.append(exc)
        finally:
            done.set()

    def read(seen: list[int]) -> None:
        try:
            while True:
                finished = done.is_set()
                steps = store.get_steps(sid)
                summary = store.summarize(sid)
                numbers = [s.number for s in steps]
                # Always a gap-free prefix, and only the last step can be running.
                assert numbers == list(range(1, len(numbers) + 1))
                assert all(s.ended_at is not None for s in steps[:-1])
                # The summary is read later, so it can only have moved on.
                assert summary.step_count >= len(steps)
                seen.append(len(steps))
                if finished:
                    return
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=read, args=(p,)) for p in progress]
    writer = threading.Thread(target=write)
    for t in threads:
        t.start()
    writer.start()
    writer.join(timeout=60)
    for t in threads:
        t.join(timeout=60)

    assert failures == []
    for seen in progress:
        assert seen == sorted(seen)  # never goes backwards
        assert seen[-1] == STEPS
    assert store.summarize(sid).usage.input == STEPS
