"""``agentreel tail``: following a session while another process records it."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentreel.cli._tail import StepFollower
from agentreel.errors import UnknownSession
from agentreel.model import Session, Status
from agentreel.storage import SQLiteStore, WriteBatch

from ._reel import NOW, row
from ._run import Invoke, invoke_cli

WRITER = Path(__file__).with_name("_writer.py")
LIVE = "5e55" * 8
#: Runs the console-script entry point, as `agentreel` would.
ENTRY = "import sys; from agentreel.cli import main; sys.exit(main(sys.argv[1:]))"

FIX_TAIL = """\
Following fix-failing-test (4bf92f3577b3), started 14:03:05.000 — Ctrl-C to stop
14:03:05.000  start    1  agent      fixer
14:03:05.000  start    2  plan         make-plan
14:03:05.350  ok       2  plan         make-plan  350ms
14:03:05.400  start    3  llm          call-model
14:03:06.600  ok       3  llm          call-model  1.2s · 1.5k tokens · $0.0012
14:03:06.700  start    4  tool           run_tests
14:03:06.800  error    4  tool           run_tests  100ms  ValueError: boom
14:03:07.000  start    5  llm          summarize
14:03:17.000  start    6  event      done
14:03:17.000  ok       6  event      done  0ms
14:03:17.000  ok       5  llm          summarize  10.0s · 11.2k tokens · $0.0111
14:03:17.300  error    1  agent      fixer  12.3s
Session fix-failing-test ended: error after 12.3s · 6 steps · 12.7k tokens · $0.0123
"""


def test_tail_of_an_ended_session_replays_its_events_in_time_order_and_exits(
    invoke: Invoke,
) -> None:
    run = invoke("tail", "4bf92", "--interval", "0.01")
    assert run.exit_code == 0
    assert run.text == FIX_TAIL


def test_follower_rereads_only_from_the_lowest_running_step(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "reel.db")
    try:
        session = Session(id=LIVE, name="s", started_at=NOW)
        first = row(LIVE, 1, kind="agent", status="running", started_at=NOW, ended_at=None)
        store.write(WriteBatch(sessions=[session], steps=[first]))
        follower = StepFollower(store, LIVE)
        assert [(e.event, e.step.number) for e in follower.poll()] == [("start", 1)]
        assert follower.low == 1
        assert follower.poll() == []

        second = row(LIVE, 2, parent_number=1, started_at=NOW + 10, ended_at=NOW + 20)
        third = row(LIVE, 3, parent_number=2, status="running", started_at=NOW + 15, ended_at=None)
        store.write(WriteBatch(steps=[second, third]))
        events = follower.poll()
        assert [(e.event, e.step.number, e.depth) for e in events] == [
            ("start", 2, 1),
            ("start", 3, 2),
            ("end", 2, 1),
        ]
        assert follower.low == 1  # step 1 still runs

        store.write(WriteBatch(steps=[first._replace(status="ok", ended_at=NOW + 30)]))
        assert [(e.event, e.step.number) for e in follower.poll()] == [("end", 1)]
        assert follower.low == 3  # 1 and 2 are done; 3 is the lowest still running

        store.write(WriteBatch(steps=[third._replace(status="error", ended_at=NOW + 40)]))
        assert [(e.event, e.step.number) for e in follower.poll()] == [("end", 3)]
        assert follower.low == 4
        assert follower.poll() == []
    finally:
        store.close()


def _lines(stream: object) -> queue.Queue[str | None]:
    """Lines of a subprocess's stream as they arrive (None when it closes)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _next(lines: queue.Queue[str | None], timeout: float = 20.0) -> str | None:
    return lines.get(timeout=timeout)


def _until(lines: queue.Queue[str | None], needle: str) -> list[str]:
    """Every line up to and including the first that contains ``needle``."""
    seen: list[str] = []
    while True:
        line = _next(lines)
        assert line is not None, f"stream closed before {needle!r}; got {seen}"
        seen.append(line)
        if needle in line:
            return seen


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _spawn(processes: list[subprocess.Popen[str]], *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
    )
    processes.append(proc)
    return proc


def _event(line: str) -> tuple[str, int]:
    # "14:03:05.123  start    3  tool       run-tests" -> ("start", 3)
    parts = line.split()
    return parts[1], int(parts[2])


def test_tail_shows_a_step_while_it_runs_and_exits_when_the_session_ends(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    db = tmp_path / "reel.db"
    SQLiteStore(db).close()  # the recorder's first write may come after tail starts
    gate = tmp_path / "gate"
    tail = _spawn(processes, "-c", ENTRY, "--db", str(db), "tail", "--interval", "0.05")
    lines = _lines(tail.stdout)
    _spawn(processes, str(WRITER), str(db), LIVE, "0.15", str(gate))

    # The writer holds step 3 open until the gate exists: seeing its start line
    # now proves tail reports a step while it is still running.
    before = _until(lines, "run-tests")
    gate.touch()
    after = _until(lines, "ended")
    assert tail.wait(timeout=20) == 0
    assert _next(lines) is None
    assert tail.stderr is not None
    assert tail.stderr.read() == ""

    # Started before the session existed, tail may have said once that it waits.
    assert sum("waiting for one to start" in line for line in before) <= 1
    following = [line for line in before if line.startswith("Following")]
    assert len(following) == 1
    assert following[0].startswith(f"Following live-run ({LIVE[:12]}), started ")
    steps = [line for line in before + after if line[:2].isdigit()]
    assert [_event(line) for line in steps] == [
        ("start", 1),
        ("start", 2),
        ("ok", 2),
        ("start", 3),
        ("error", 3),
        ("ok", 1),
    ]
    assert "  tool         run-tests  " in steps[4]  # nested one level under the agent
    assert steps[4].endswith("  AssertionError: 1 != 2")
    assert after[-1].startswith("Session live-run ended: ok after ")
    assert after[-1].endswith(" · 3 steps · 0 tokens · $0")


def test_tail_json_in_process_while_another_process_records(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    db = tmp_path / "reel.db"
    SQLiteStore(db).close()
    writer = _spawn(processes, str(WRITER), str(db), LIVE, "0.1")
    store = SQLiteStore(db, create=False)
    try:
        deadline = time.monotonic() + 20
        while True:  # the id must exist before tail can resolve it
            try:
                store.get_session(LIVE)
                break
            except UnknownSession:
                assert time.monotonic() < deadline, "the writer never started the session"
                time.sleep(0.02)
    finally:
        store.close()
    run = invoke_cli(db, ["tail", LIVE[:8], "--json", "--interval", "0.05"])
    assert run.exit_code == 0, run.err
    assert writer.wait(timeout=20) == 0
    events = [json.loads(line) for line in run.out.splitlines()]
    assert [(e["event"], e.get("number")) for e in events] == [
        ("session", None),
        ("start", 1),
        ("start", 2),
        ("end", 2),
        ("start", 3),
        ("end", 3),
        ("end", 1),
        ("session_end", None),
    ]
    assert {e["session_id"] for e in events} == {LIVE}
    start_3, end_3 = events[4], events[5]
    assert start_3 | {"started_at": None} == {
        "event": "start",
        "session_id": LIVE,
        "number": 3,
        "parent": 1,
        "depth": 1,
        "span_id": f"{3:016x}",
        "kind": "tool",
        "name": "run-tests",
        "status": "running",
        "started_at": None,
    }
    assert end_3["status"] == "error"
    assert end_3["error"]["type"] == "AssertionError"
    assert end_3["duration_ms"] > 0
    assert events[-1]["status"] == str(Status.OK)
    assert events[-1]["steps"] == 3
    assert events[-1]["errors"] == 1


def test_ctrl_c_stops_a_forever_tail_cleanly(
    reel: Path, processes: list[subprocess.Popen[str]]
) -> None:
    tail = _spawn(
        processes,
        "-c",
        ENTRY,
        "--db",
        str(reel),
        "tail",
        "4bf92",
        "--forever",
        "--interval",
        "0.05",
    )
    lines = _lines(tail.stdout)
    _until(lines, "Session fix-failing-test ended")
    time.sleep(0.2)  # still running: --forever does not stop at the end
    assert tail.poll() is None
    tail.send_signal(signal.SIGINT)
    assert tail.wait(timeout=20) == 0
    assert tail.stderr is not None
    assert tail.stderr.read() == ""


def test_follow_new_switches_to_a_session_started_later(
    reel: Path, processes: list[subprocess.Popen[str]]
) -> None:
    tail = _spawn(
        processes,
        "-c",
        ENTRY,
        "--db",
        str(reel),
        "tail",
        "--follow-new",
        "--json",
        "--interval",
        "0.05",
    )
    lines = _lines(tail.stdout)
    first = json.loads(_until(lines, '"event":"session"')[-1])
    # The newest session when tail started is the running one of the reel.
    assert first["name"] == "live-agent"
    writer = _spawn(processes, str(WRITER), str(reel), LIVE, "0.05")
    seen = _until(lines, '"event":"session_end"')
    assert writer.wait(timeout=20) == 0
    events = [json.loads(line) for line in seen]
    switched = [e for e in events if e["event"] == "session" and e["session_id"] == LIVE]
    assert len(switched) == 1
    after = events[events.index(switched[0]) :]
    assert [(e["event"], e.get("number")) for e in after] == [
        ("session", None),
        ("start", 1),
        ("start", 2),
        ("end", 2),
        ("start", 3),
        ("end", 3),
        ("end", 1),
        ("session_end", None),
    ]
    assert tail.poll() is None  # still waiting for the next session
    tail.send_signal(signal.SIGINT)
    assert tail.wait(timeout=20) == 0


def test_tail_of_an_unknown_session_is_a_one_line_error(invoke: Invoke) -> None:
    run = invoke("tail", "ffff")
    assert run.exit_code == 1
    assert run.err == (
        "agentreel: error: no session matches 'ffff'; `agentreel ls` lists the recorded sessions\n"
    )
