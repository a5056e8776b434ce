"""Numbering on PostgreSQL while another transaction holds a session's counter.

A transaction that waits for a counter's lock must number from what the
holder committed, steps included: at READ COMMITTED the locked row is read
afresh once the wait ends, but anything else the same statement reads still
comes from the snapshot taken before the wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from agentreel.storage import PostgresStore, WriteBatch

from ._factories import Factory
from .conftest import pg_schema

#: Seconds any step of the choreography below may take before the test gives up.
WAIT_S = 10.0

#: Backends of this schema that wait for a lock while holding one on the
#: step counters: a numbering waiting for another's counter.
_WAITING = (
    b"SELECT count(*) FROM pg_locks "
    b"WHERE relation = 'step_counters'::regclass AND cardinality(pg_blocking_pids(pid)) > 0"
)


@pytest.fixture
def url() -> Iterator[str]:
    with pg_schema() as url:
        yield url


def _in_transaction(store: PostgresStore, session_id: str, span_id: str) -> dict[str, int]:
    """Number a span as ingest does: read the session, then number."""
    with store.transaction() as tx:
        tx.get_sessions([session_id])
        return tx.assign_step_numbers_many({session_id: [span_id]})[session_id]


def _alone(store: PostgresStore, session_id: str, span_id: str) -> dict[str, int]:
    return store.assign_step_numbers(session_id, [span_id])


@pytest.mark.parametrize("numbering", [_in_transaction, _alone])
def test_a_waiting_numbering_sees_the_steps_the_holder_wrote(
    url: str,
    make: Factory,
    numbering: Callable[[PostgresStore, str, str], dict[str, int]],
) -> None:
    """A holds the counter (still 0) of a session and writes its steps 1-3
    with their numbers; B, from another store, waits for the counter and
    must number its new span 4 once A commits, as it would after A."""
    a, b = PostgresStore(url, pool_size=1), PostgresStore(url, pool_size=1)
    s = make.session()
    steps = [make.row(s.id, n) for n in (1, 2, 3)]
    a.write(WriteBatch(sessions=[s]))
    with a.transaction() as tx:  # the session's counter row, committed at 0
        tx.get_sessions([s.id])
    written, release = threading.Event(), threading.Event()
    got: dict[str, Any] = {}

    def hold() -> None:
        try:
            with a.transaction() as tx:
                tx.get_sessions([s.id])
                tx.write(WriteBatch(steps=steps))
                written.set()
                if not release.wait(WAIT_S):
                    raise TimeoutError("B never waited for the counter")
        except BaseException as exc:  # reported below, in the test's thread
            got["A"] = exc
            written.set()

    def wait_and_number() -> None:
        try:
            got["numbers"] = numbering(b, s.id, "new")
        except BaseException as exc:
            got["B"] = exc

    holder, waiter = threading.Thread(target=hold), threading.Thread(target=wait_and_number)
    try:
        holder.start()
        assert written.wait(WAIT_S)
        waiter.start()
        with psycopg.connect(url, autocommit=True) as admin:
            deadline = time.monotonic() + WAIT_S
            while not admin.execute(_WAITING).fetchone()[0]:  # type: ignore[index]
                assert time.monotonic() < deadline, "B did not wait for A's counter lock"
                time.sleep(0.01)
    finally:
        release.set()
        holder.join(WAIT_S)
        waiter.join(WAIT_S)
        a.close()
        b.close()
    assert "A" not in got and "B" not in got, got
    assert got["numbers"] == {"new": 4}
