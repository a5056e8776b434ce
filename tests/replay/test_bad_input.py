"""Recordings that cannot be replayed, and arguments that make no sense, fail clearly."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from pathlib import Path

import pytest

import agentreel
from agentreel.errors import (
    ConfigurationError,
    SchemaTooNew,
    StoreError,
    StoreUnavailable,
    UnknownSession,
    UnknownStep,
    UnsupportedFormat,
)
from agentreel.model import ErrorInfo
from agentreel.reelfile import export_reel
from agentreel.replay import Edit, IncompleteRecording
from agentreel.storage import SQLiteStore

from . import _agents
from ._agents import CALLS
from .conftest import Reel


def _record(reel: Reel) -> str:
    original = reel.record("fix", lambda: _agents.fixer())
    _agents.reset()
    return original


def _sql(reel: Reel, statement: str, *params: object) -> None:
    with sqlite3.connect(reel.path) as conn:
        conn.execute(statement, params)
    conn.close()


def _drop_payload(reel: Reel, original: str, number: int, ref: str) -> str:
    """Delete the blob of step ``number``'s ``ref`` ("input_ref" or "output_ref")."""
    store = reel.reader()
    try:
        digest = getattr(store.get_step(original, number), ref)
    finally:
        store.close()
    assert digest is not None
    _sql(reel, "DELETE FROM blobs WHERE digest = ?", digest)
    return str(digest)


def test_an_unknown_session_id(reel: Reel) -> None:
    _record(reel)
    with pytest.raises(UnknownSession, match="agentreel ls"):
        agentreel.replay("0123abcd", db=reel.path)


def test_a_missing_database_is_not_created(reel: Reel) -> None:
    with pytest.raises(StoreUnavailable):
        agentreel.replay("0123abcd", db=reel.path)
    assert not reel.path.exists()


def test_a_gap_in_the_step_numbers(reel: Reel) -> None:
    original = _record(reel)
    _sql(
        reel,
        "DELETE FROM steps WHERE number = 3 AND session_key = "
        "(SELECT key FROM session_keys WHERE id = ?)",
        original,
    )
    with pytest.raises(IncompleteRecording) as caught:
        agentreel.replay(original, db=reel.path)
    assert caught.value.session_id == original
    assert "step 3 is missing" in str(caught.value)
    assert "record the run again" in str(caught.value)


def test_a_payload_missing_from_the_store(reel: Reel) -> None:
    original = _record(reel)
    digest = _drop_payload(reel, original, 4, "output_ref")
    with pytest.raises(IncompleteRecording) as caught:
        agentreel.replay(original, db=reel.path)
    message = str(caught.value)
    assert "step 4 (tool write_file)" in message
    assert f"output payload {digest[:16]}" in message


def test_a_database_written_by_a_newer_agentreel(reel: Reel) -> None:
    original = _record(reel)
    _sql(
        reel,
        "INSERT INTO agentreel_migrations (version, name, applied_at) VALUES (99, 'future', 0)",
    )
    with pytest.raises(SchemaTooNew, match="upgrade agentreel"):
        agentreel.replay(original, db=reel.path)


def test_a_reel_file_replays_and_a_newer_one_is_refused(
    reel: Reel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _record(reel)
    exported = tmp_path / "bug.reel"
    store = reel.reader()
    try:
        export_reel(store, [original], exported)
    finally:
        store.close()
    # Replaying straight from the file records the run in the default database.
    monkeypatch.setenv("AGENTREEL_DB", str(tmp_path / "default.db"))
    with agentreel.replay(original[:8], db=exported) as r:
        _agents.fixer()
    assert CALLS == {} and r.result.ok
    assert r.result.new_session_id is not None
    assert (tmp_path / "default.db").exists()

    newer = tmp_path / "newer.reel"
    lines = exported.read_text().splitlines()
    lines[0] = lines[0].replace('"format":1', '"format":99')
    assert lines[0] != exported.read_text().splitlines()[0]
    newer.write_text("\n".join(lines) + "\n")
    with pytest.raises(UnsupportedFormat, match="newer agentreel"):
        agentreel.replay(original, db=newer)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "loose"}, "unknown replay mode 'loose'; use one of strict, new-steps"),
        ({"edit": Edit(output="x")}, "an edit needs fork_at=N"),
        ({"fork_at": 0}, "fork_at must be a step number"),
        ({"fork_at": 2, "edit": Edit()}, "exactly one of output=, input= or error="),
        (
            {"fork_at": 2, "edit": Edit(output="x", error=ErrorInfo(type="E", message="m"))},
            "exactly one of",
        ),
        ({"fork_at": 2, "edit": Edit(input=["not", "a", "dict"])}, "takes a dict"),
    ],
)
def test_arguments_that_make_no_sense(reel: Reel, kwargs: dict[str, object], message: str) -> None:
    original = _record(reel)
    with pytest.raises(ConfigurationError, match=message):
        agentreel.replay(original, db=reel.path, **kwargs)  # type: ignore[arg-type]


def test_a_fork_at_a_step_the_session_does_not_have(reel: Reel) -> None:
    original = _record(reel)
    with pytest.raises(UnknownStep, match="numbered 1 to 5"):
        agentreel.replay(original, db=reel.path, fork_at=6)


def test_both_store_and_db(reel: Reel) -> None:
    original = _record(reel)
    store = reel.reader()
    try:
        with pytest.raises(ConfigurationError, match="not both"):
            agentreel.replay(original, db=reel.path, store=store)
    finally:
        store.close()


def test_replays_do_not_nest_and_run_once(reel: Reel) -> None:
    original = _record(reel)
    outer = agentreel.replay(original, db=reel.path)
    with outer:
        inner = agentreel.replay(original, db=reel.path)
        with pytest.raises(ConfigurationError, match="do not nest"):
            inner.__enter__()
        _agents.fixer()
    assert outer.result.ok
    with pytest.raises(ConfigurationError, match="runs once"):
        outer.__enter__()


def test_a_recorder_without_inputs_cannot_replay(reel: Reel) -> None:
    original = _record(reel)
    agentreel.configure(db=reel.path, capture_io=False)
    with pytest.raises(ConfigurationError, match="capture_io=True"):
        agentreel.replay(original).__enter__()
    # The failed start left the recorder as it was: still on, nothing intercepting.
    with agentreel.session("after"):
        _agents.read_file("notes.md")
    assert CALLS == {"read_file": 1}


def test_a_missing_input_payload_is_named_when_a_call_needs_it(reel: Reel) -> None:
    # From a store the caller keeps open, input payloads are read when first
    # needed: here when step 2's request differs and the recorded inputs are
    # compared. The call fails with the problem named, and does not run live.
    original = _record(reel)
    digest = _drop_payload(reel, original, 4, "input_ref")
    store = reel.reader()
    try:
        session = agentreel.replay(original, store=store, record=False)
        with pytest.raises(IncompleteRecording) as caught, session:
            _agents.fixer("notes.md")
    finally:
        store.close()
    message = str(caught.value)
    assert "step 4 (tool write_file)" in message
    assert f"input payload {digest[:16]}" in message
    assert "record the run again" in message
    assert CALLS == {}


def test_a_missing_input_payload_no_call_needs_does_not_stop_the_replay(reel: Reel) -> None:
    # Every live request is byte for byte the recorded one: matched by its
    # digest alone, no recorded input is read.
    original = _record(reel)
    _drop_payload(reel, original, 4, "input_ref")
    store = reel.reader()
    try:
        with agentreel.replay(original, store=store, record=False) as r:
            _agents.fixer()
    finally:
        store.close()
    assert r.result.ok and r.result.served == 4 and CALLS == {}


def test_a_missing_input_payload_is_refused_up_front_when_replay_opens_the_store(
    reel: Reel,
) -> None:
    # replay(db=...) closes the store it opened before the program runs, so
    # it reads every payload first.
    original = _record(reel)
    digest = _drop_payload(reel, original, 4, "input_ref")
    with pytest.raises(IncompleteRecording) as caught:
        agentreel.replay(original, db=reel.path)
    assert f"step 4 (tool write_file) refers to input payload {digest[:16]}" in str(caught.value)


def test_a_store_closed_under_a_replay_stops_the_call_that_needs_it(reel: Reel) -> None:
    # Reading the inputs late must never fail in a way that lets the call run live.
    original = _record(reel)
    store = reel.reader()
    session = agentreel.replay(original, store=store, record=False)
    store.close()
    with pytest.raises(StoreError, match="is closed"), session:
        _agents.fixer("notes.md")
    assert CALLS == {}


class _FailingDisk(SQLiteStore):
    """A store whose blob reads fail like a disk does, once ``failing`` is set."""

    failing = False

    def get_blobs(self, digests: Collection[str]) -> dict[str, bytes]:
        if self.failing:
            raise sqlite3.OperationalError("disk I/O error")
        return super().get_blobs(digests)


def test_a_store_failing_under_a_replay_stops_the_call_that_needs_it(reel: Reel) -> None:
    # An error the recorder would only count (and run the call live) becomes
    # an agentreel error that stops the call.
    original = _record(reel)
    store = _FailingDisk(reel.path, create=False)
    try:
        session = agentreel.replay(original, store=store, record=False)
        store.failing = True
        with pytest.raises(StoreError) as caught, session:
            _agents.fixer("notes.md")
    finally:
        store.close()
    message = str(caught.value)
    assert f"could not read the recorded inputs of session {original[:12]}" in message
    assert "OperationalError: disk I/O error" in message
    assert CALLS == {}
