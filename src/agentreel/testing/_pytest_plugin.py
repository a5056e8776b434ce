"""pytest plugin: guard an agent test with a recording of its model and tool calls.

``@pytest.mark.agentreel(reel="reels/test_triage.reel")`` on a test: the first
run (no reel file yet, or ``--reel-record``) records the test's agentreel
session, the ``openai`` / ``anthropic`` calls included, into that reel file;
every later run replays it in strict mode, so the test gets the recorded
answers and a call the recording does not have fails the test, never reaching
a model. A test that leaves recorded calls unused fails too. The path is
relative to the test file's directory. See ``docs/record-replay.md``.

Enabled by the ``pytest11`` entry point ``agentreel``, or ``-p
agentreel.testing._pytest_plugin``.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from agentreel.integrations import instrument, is_instrumented, uninstrument
from agentreel.recording import Recorder, RecorderConfig, session
from agentreel.recording._recorder import STATE
from agentreel.reelfile import export_reel, import_reel
from agentreel.replay import ReplayDivergence, replay
from agentreel.storage import MemoryStore, SessionFilter, Store

__all__ = ["pytest_addoption", "pytest_configure", "pytest_runtest_call"]

_MARKER = (
    "agentreel(reel): record the test's agentreel session into the reel file (path relative "
    "to the test file) on the first run or with --reel-record; replay it strictly afterwards"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agentreel")
    group.addoption(
        "--reel-record",
        action="store_true",
        default=False,
        help="Record the reel files of @pytest.mark.agentreel tests again instead of replaying.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    marker = item.get_closest_marker("agentreel")
    if marker is None:
        return (yield)
    reel = _reel_path(item, marker)
    was_instrumented = is_instrumented()
    instrument()
    try:
        if item.config.getoption("reel_record") or not reel.exists():
            return (yield from _record(item, reel))
        return (yield from _replay(reel))
    finally:
        if not was_instrumented:
            uninstrument()


def _reel_path(item: pytest.Item, marker: pytest.Mark) -> Path:
    value = marker.kwargs.get("reel", marker.args[0] if marker.args else None)
    if not isinstance(value, str | Path) or not str(value):
        pytest.fail(
            f"{item.nodeid}: @pytest.mark.agentreel needs reel='path/to/file.reel'",
            pytrace=False,
        )
    return Path(item.path).parent / value


def _private_recorder() -> Recorder:
    config = RecorderConfig(
        db=None,
        project="pytest",
        redact=True,
        redact_keys=(),
        capture_io=True,
        queue_size=10_000,
        flush_interval=0.2,
        shutdown_timeout=2.0,
        max_payload_chars=1_000_000,
    )
    return Recorder(config, MemoryStore(), None)


def _record(item: pytest.Item, reel: Path) -> Generator[None, Any, Any]:
    rec = _private_recorder()
    with STATE.lock:
        previous, STATE.recorder = STATE.recorder, rec
    try:
        with session(item.nodeid, tags=("pytest",)):
            outcome = yield
        rec.flush()
        # Only a passing test is worth keeping: the reel is written after it.
        reel.parent.mkdir(parents=True, exist_ok=True)
        export_reel(rec.store, [_the_session(rec.store, item.nodeid)], reel)
        return outcome
    finally:
        with STATE.lock:
            if STATE.recorder is rec:
                STATE.recorder = previous
        rec.shutdown()


def _the_session(store: Store, nodeid: str) -> str:
    recorded = [
        s.session.id for s in store.list_sessions(SessionFilter(limit=None)) if s.step_count
    ]
    if len(recorded) != 1:
        pytest.fail(
            f"{nodeid} recorded {len(recorded)} agentreel sessions with steps; a reel for a "
            "test holds exactly one (open at most one agentreel.session() in the test)",
            pytrace=False,
        )
    return recorded[0]


def _replay(reel: Path) -> Generator[None, Any, Any]:
    store = MemoryStore()
    import_reel(store, reel)
    ids = [s.session.id for s in store.list_sessions(SessionFilter(limit=None))]
    if len(ids) != 1:
        pytest.fail(f"{reel} holds {len(ids)} sessions; record it again with --reel-record")
    run = replay(ids[0], store=store, record=False)
    try:
        with run:
            return (yield)
    except BaseException as exc:
        if run.result.ok and not isinstance(exc, ReplayDivergence):
            raise
        pytest.fail(
            f"the test departed from its recording {reel} (if the change is intended, "
            f"record it again with --reel-record)\n{run.result.render()}",
            pytrace=False,
        )
