"""transaction(): reads, numbering and a write that commit together (OTLP ingest)."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

from agentreel.storage import Store, WriteBatch
from agentreel.storage._protocol import Transactional

from ._factories import Factory

THREADS = 4
ROUNDS = 10


def _tx(store: Store) -> Any:
    assert isinstance(store, Transactional), f"{type(store).__name__} offers no transaction()"
    return store.transaction()


def test_reads_numbers_and_writes_commit_together(store: Store, make: Factory) -> None:
    s = make.session()
    with _tx(store) as tx:
        assert tx.get_sessions([s.id]) == {}
        numbers = tx.assign_step_numbers_many({s.id: ["root", "child"], "other": []})
        assert numbers == {s.id: {"root": 1, "child": 2}}
        # Asked again in the same transaction, the session's count goes on.
        assert tx.assign_step_numbers_many({s.id: ["child", "more"]}) == {
            s.id: {"child": 2, "more": 3}
        }
        tx.write(WriteBatch(sessions=[s], steps=[make.row(s.id, 1, span_id="root")]))
    assert store.get_session(s.id) == s
    assert [x.number for x in store.get_steps(s.id)] == [1]
    # The numbers handed out in the transaction stay handed out, to the span
    # whose step was written and to the one whose step was not.
    assert store.assign_step_numbers(s.id, ["child", "late", "root"]) == {
        "child": 2,
        "late": 4,
        "root": 1,
    }
    with _tx(store) as tx:
        assert tx.get_sessions([s.id, make.session_id()]) == {s.id: s}


def test_a_failed_transaction_leaves_nothing(store: Store, make: Factory) -> None:
    s = make.session()

    def fail_after_writing() -> None:
        with _tx(store) as tx:
            assert tx.assign_step_numbers_many({s.id: ["a", "b"]}) == {s.id: {"a": 1, "b": 2}}
            tx.write(WriteBatch(sessions=[s], steps=[make.row(s.id, 1, span_id="a")]))
            raise RuntimeError("the caller failed after writing")

    with pytest.raises(RuntimeError, match="failed after writing"):
        fail_after_writing()
    assert store.count_sessions() == 0
    # No number was handed out.
    assert store.assign_step_numbers(s.id, ["b", "a"]) == {"b": 1, "a": 2}


def test_racing_read_merge_writes_lose_no_update(twins: tuple[Store, Store], make: Factory) -> None:
    """Each transaction reads a counter in the session's metadata and writes it
    plus one: run from two stores (two processes) at once, none is lost."""
    s = make.session(metadata={"n": 0})
    twins[0].write(WriteBatch(sessions=[s]))
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def bump(store: Store) -> None:
        start.wait()
        try:
            for _ in range(ROUNDS):
                with _tx(store) as tx:
                    old = tx.get_sessions([s.id])[s.id]
                    new = dataclasses.replace(old, metadata={"n": old.metadata["n"] + 1})
                    tx.write(WriteBatch(sessions=[new]))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=bump, args=(twins[i % 2],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert twins[1].get_session(s.id).metadata == {"n": THREADS * ROUNDS}
