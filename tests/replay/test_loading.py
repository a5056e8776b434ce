"""A replay loads its recording from a few of the store's columns (``get_replay_rows``):
it must see every step as a full read of the store does, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel.reelfile import export_reel, import_reel
from agentreel.replay import RecordedStep, Recording, load_recording
from agentreel.storage import PostgresStore, SQLiteStore, Store

from . import _agents
from .conftest import Reel

PG_URL = os.environ.get("AGENTREEL_TEST_PG", "postgresql://127.0.0.1:5432/test")


@agentreel.tool
def roll(sides: int) -> int:
    # Draws recorded values: they land in the step's attributes.
    return int(agentreel.random() * sides) + 1 + int(agentreel.now() * 0)


@agentreel.tool
def broken(path: str) -> str:
    raise PermissionError(f"{path} is read-only")


def _program() -> None:
    _agents.fixer("calc.py")
    roll(6)
    with contextlib.suppress(PermissionError):
        broken("/etc/hosts")
    with agentreel.step("plan", "outline"):
        _agents.search("divide by zero")


def _fields(rs: RecordedStep) -> tuple[Any, ...]:
    return (
        rs.number,
        rs.kind,
        rs.name,
        rs.parent,
        rs.finished,
        rs.input_ref,
        rs.output_ref,
        dict(rs.attributes),
        rs.values,
        rs.error,
        rs.step,
    )


def _same(narrow: Recording, full: Recording) -> None:
    assert list(narrow.steps) == list(full.steps)
    for number, rs in narrow.steps.items():
        assert _fields(rs) == _fields(full.steps[number])
        assert rs.output == full.steps[number].output
    assert narrow.servable == full.servable
    assert {k: [rs.number for rs in v] for k, v in narrow.positions.items()} == {
        k: [rs.number for rs in v] for k, v in full.positions.items()
    }


@contextlib.contextmanager
def _postgres(reel: Reel, session_id: str, tmp_path: Path) -> Iterator[Store]:
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed")
    import psycopg

    schema = f"agentreel_test_{uuid.uuid4().hex[:16]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc}", pytrace=False)
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}".encode())
        try:
            source = reel.reader()
            try:
                export_reel(source, [session_id], tmp_path / "copy.reel")
            finally:
                source.close()
            store = PostgresStore(f"{PG_URL}?options=-csearch_path%3D{schema}", pool_size=1)
            try:
                import_reel(store, tmp_path / "copy.reel")
                yield store
            finally:
                store.close()
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE".encode())


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_replay_load_sees_what_a_full_read_sees(backend: str, reel: Reel, tmp_path: Path) -> None:
    original = reel.record("fixer", _program)
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            store: Store = SQLiteStore(reel.path, create=False)
            stack.callback(store.close)
        else:
            store = stack.enter_context(_postgres(reel, original, tmp_path))
        narrow = load_recording(store, original, read_inputs=False)
        full = load_recording(store, original)
        # The full read keeps each row; the replay's keeps only what matching uses.
        assert all(rs._row for rs in full.steps.values())
        assert not any(rs._row for rs in narrow.steps.values())
        kinds = {rs.kind for rs in narrow.steps.values()}
        assert {"agent", "tool", "llm", "plan"} <= kinds
        assert any(rs.values for rs in narrow.steps.values())
        assert any(rs.error is not None for rs in narrow.steps.values())
        _same(narrow, full)


def test_a_step_left_running_reads_as_not_finished(reel: Reel) -> None:
    original = reel.record("fixer", lambda: _agents.fixer("calc.py"))
    # As a process that died inside step 2 leaves it.
    with contextlib.closing(sqlite3.connect(reel.path)) as conn, conn:
        conn.execute("UPDATE steps SET status = 'running', ended_at = NULL WHERE number = 2")
    store = SQLiteStore(reel.path, create=False)
    try:
        narrow = load_recording(store, original, read_inputs=False)
        full = load_recording(store, original)
        assert [n for n, rs in narrow.steps.items() if not rs.finished] == [2]
        _same(narrow, full)
    finally:
        store.close()
