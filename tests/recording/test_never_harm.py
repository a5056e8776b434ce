"""Failures inside the recorder are counted and logged, never raised into the host."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel.storage import MemoryStore, SQLiteStore, WriteBatch, load_payload

from ._stores import SlowStore


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")

    def __str__(self) -> str:
        raise RuntimeError("no str either")


def test_unserialisable_inputs_and_outputs(recorded: Any) -> None:
    loop: list[Any] = []
    loop.append(loop)

    @agentreel.tool
    def weird(a: Any, b: Any, c: Any) -> Any:
        return {"set": {3, 1, 2}, "bytes": b"\xff\xfe", "nan": float("nan"), "bad": Unprintable()}

    with agentreel.session("weird"):
        out = weird(Unprintable(), loop, {1: object()})
    assert out["set"] == {1, 2, 3}
    agentreel.flush()
    (summary,) = recorded.list_sessions()
    step = recorded.get_step(summary.session.id, 1)
    inp = load_payload(recorded, step.input_ref)
    assert "repr failed" in inp["a"]
    assert isinstance(inp["b"], list)  # recursion cut by depth, not by a crash
    assert inp["c"]["1"].startswith("<object object")
    output = load_payload(recorded, step.output_ref)
    assert output["set"] == [1, 2, 3]
    assert output["bytes"]["len"] == 2
    assert output["nan"] == "nan"
    assert "repr failed" in output["bad"]


def test_exception_with_broken_str_is_still_recorded(recorded: Any) -> None:
    class Nasty(Exception):
        def __str__(self) -> str:
            raise ValueError("nope")

    @agentreel.tool
    def fail() -> None:
        raise Nasty()

    with pytest.raises(Nasty), agentreel.session("s"):
        fail()
    agentreel.flush()
    (summary,) = recorded.list_sessions()
    step = recorded.get_step(summary.session.id, 1)
    assert step.error is not None
    assert step.error.message == "<str() of the exception failed>"


def test_full_queue_drops_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    store = SlowStore(0.2)
    agentreel.configure(store=store, queue_size=5, flush_interval=0.01)
    with caplog.at_level(logging.WARNING, "agentreel"), agentreel.session("flood"):
        for i in range(200):
            with agentreel.step("tool", f"t{i}"):
                pass
    stats = agentreel.stats()
    assert stats["dropped_queue_full"] > 0
    assert caplog.text.count("dropped_queue_full") == 1  # logged once, not per loss
    agentreel.shutdown(timeout=10)


class BrokenStore(MemoryStore):
    def write(self, batch: WriteBatch) -> None:
        raise sqlite3.OperationalError("database is locked")


def test_store_errors_are_counted_not_raised() -> None:
    agentreel.configure(store=BrokenStore(), flush_interval=0.01)

    @agentreel.tool
    def ok() -> int:
        return 42

    with agentreel.session("s"):
        assert ok() == 42
    agentreel.flush()
    assert agentreel.stats()["write_errors"] >= 1


def test_full_disk_is_counted(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full", from a page limit on a real file."""
    store = SQLiteStore(tmp_path / "small.db")
    agentreel.configure(store=store, flush_interval=0.01)
    with agentreel.session("warmup"):
        pass
    assert agentreel.flush()
    # The page limit is a setting of one connection: it has to be the store's
    # own write connection, which is private; this test reaches in on purpose.
    conn = store._writer
    with store._write_lock:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
    with agentreel.session("big"):
        for i in range(50):
            with agentreel.step("tool", "t", input={"blob": "x" * 20_000 + str(i)}):
                pass
    agentreel.flush()
    assert agentreel.stats()["write_errors"] > 0


def test_closed_database_is_counted(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "closed.db")
    agentreel.configure(store=store, flush_interval=0.01)
    store.close()
    with agentreel.session("after-close"):
        pass
    agentreel.flush()
    assert agentreel.stats()["write_errors"] >= 1


def test_unopenable_database_leaves_recording_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with caplog.at_level(logging.ERROR, "agentreel"):
        assert agentreel.configure(db=not_a_dir / "reel.db") is None
    assert "recording is off" in caplog.text

    @agentreel.tool
    def still_works() -> int:
        return 7

    assert still_works() == 7


def _run(code: str, tmp_path: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTREEL_DB": str(tmp_path / "exit.db")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_exit_flushes_everything_without_an_explicit_shutdown(tmp_path: Path) -> None:
    proc = _run(
        """
        import agentreel
        agentreel.configure(flush_interval=10)  # only the exit flush writes
        with agentreel.session("exiting"):
            for i in range(500):
                with agentreel.step("tool", "t", input={"i": i}):
                    pass
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    store = SQLiteStore(tmp_path / "exit.db")
    (summary,) = store.list_sessions()
    assert summary.step_count == 500
    assert summary.session.status.value == "ok"
    store.close()


def test_exit_flush_is_bounded_and_reports_losses(tmp_path: Path) -> None:
    proc = _run(
        """
        import time, agentreel
        from agentreel.storage import MemoryStore
        class Stuck(MemoryStore):
            def write(self, batch):
                time.sleep(60)
        agentreel.configure(store=Stuck(), flush_interval=0.01, shutdown_timeout=1.0)
        with agentreel.session("stuck"):
            for i in range(100):
                with agentreel.step("tool", "t"):
                    pass
        t0 = time.monotonic()
        """,
        tmp_path,
    )
    assert proc.returncode == 0
    assert "could not be written" in proc.stderr
    assert "within 1s at exit" in proc.stderr


def test_exit_flush_time_is_bounded(tmp_path: Path) -> None:
    started = time.monotonic()
    _run(
        """
        import time, agentreel
        from agentreel.storage import MemoryStore
        class Stuck(MemoryStore):
            def write(self, batch):
                time.sleep(60)
        agentreel.configure(store=Stuck(), flush_interval=0.01)
        with agentreel.session("stuck"):
            pass
        """,
        tmp_path,
    )
    # Default bound is 2 s; interpreter start-up and import add a little.
    assert time.monotonic() - started < 8


def test_recording_in_a_forked_child(tmp_path: Path) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("os.fork is not available on this platform")
    db = tmp_path / "fork.db"
    agentreel.configure(db=db, flush_interval=0.01)
    with agentreel.session("parent"):
        pass
    agentreel.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            with agentreel.session("child"):
                pass
            agentreel.shutdown()
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    agentreel.shutdown()
    store = SQLiteStore(db)
    assert sorted(s.session.name for s in store.list_sessions()) == ["child", "parent"]
    store.close()


def test_recorder_never_touches_global_random(recorded: Any) -> None:
    import random

    random.seed(1234)
    expected = [random.random() for _ in range(5)]
    random.seed(1234)
    with agentreel.session("s"):
        for _ in range(20):
            with agentreel.step("tool", "t") as st:
                _ = st.span_id
    assert [random.random() for _ in range(5)] == expected


def test_writer_survives_concurrent_attribute_mutation(recorded: Any) -> None:
    stop = threading.Event()
    with agentreel.session("s"), agentreel.step("tool", "busy") as st:

        def mutate() -> None:
            i = 0
            while not stop.is_set():
                st.set_attribute(f"k{i % 500}", i)
                i += 1

        t = threading.Thread(target=mutate)
        t.start()
        for _ in range(20):
            agentreel.flush()
        stop.set()
        t.join()
    agentreel.flush()
    stats = agentreel.stats()
    assert stats["write_errors"] == 0


def test_a_forked_child_draws_other_span_ids_than_its_parent(tmp_path: Path) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("os.fork is not available on this platform")
    from agentreel.recording._live import new_span_id

    new_span_id()  # the parent's pool is filled before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        os.write(write, " ".join(new_span_id() for _ in range(600)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    parent = {new_span_id() for _ in range(600)}
    assert len(child) == 600 and len(parent) == 600
    assert not child & parent
    assert all(len(s) == 16 and s != "0" * 16 and int(s, 16) for s in child | parent)


def test_span_ids_are_drawn_without_releasing_the_gil(monkeypatch: pytest.MonkeyPatch) -> None:
    # os.urandom releases the GIL, and a busy writer thread then holds it for a
    # whole switch interval: the agent stalled 5 ms every 512 steps.
    from agentreel.recording import _live

    def no_urandom(n: int) -> bytes:
        raise AssertionError("span ids must not call os.urandom per batch")

    monkeypatch.setattr(_live.os, "urandom", no_urandom)
    monkeypatch.setattr(_live, "_span_ids", iter(()))
    ids = {_live.new_span_id() for _ in range(2000)}  # four refills
    assert len(ids) == 2000
