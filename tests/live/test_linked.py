"""The control channel through a server: an agent linked to ``agentreel serve``, driven from afar.

Real processes throughout: ``agentreel serve`` on SQLite, the agent
(``linked_agent.py``, configured with ``endpoint=``), and ``agentreel attach
--server`` or the HTTP API as the controller. The agent's local socket lives
in a directory no controller here looks in, so everything goes through the server.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentreel.hooks import ControlError, ServerControlClient

from ._linked import (
    RUN_CLI,
    LinkedAgent,
    environ,
    free_port,
    paused_at,
    process_of,
    run_cli,
    serving,
    serving_process,
    spawn_agent,
    wait_until,
)

#: Seconds a controller stays attached without asking, on these servers: short,
#: so that a controller that disappears is noticed within the test.
TTL = "2"
CSRF = {"Cookie": "agentreel_csrf=t", "X-CSRF-Token": "t"}


@pytest.fixture(scope="module")
def place() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


@pytest.fixture(scope="module")
def server(place: Path) -> Iterator[str]:
    with serving(str(place / "server.db"), place, AGENTREEL_CONTROLLER_TIMEOUT=TTL) as url:
        yield url


@pytest.fixture
def home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Child processes of one test, killed by pid at its end if still running."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def agent(started: list[subprocess.Popen[str]], server: str, home: Path, **kw: str) -> LinkedAgent:
    a = spawn_agent(server, home, **kw)
    started.append(a.proc)
    assert a.linked, "the agent's link did not reach the server"
    return a


def owners(server: str, a: LinkedAgent) -> list[str]:
    process = process_of(server, a.session_id)
    return [] if process is None else [b["owner"] for b in process["breakpoints"]]


def test_attach_through_the_server_sets_a_breakpoint_edits_and_continues(
    server: str, home: Path, started: list[subprocess.Popen[str]]
) -> None:
    a = agent(started, server, home)
    commands = 'input\ncontinue\nedit {"text": "from afar"}\n'
    proc = run_cli(
        home,
        "attach",
        "--server",
        server,
        a.session_id[:10],
        "--break",
        "tool:write_note",
        commands=commands,
    )
    started.append(proc)
    wait_until(lambda: any(o.startswith("agentreel attach (via server") for o in owners(server, a)))
    a.go()
    out, err = proc.communicate(timeout=30)
    code, agent_out, _ = a.finish()
    assert (proc.returncode, err) == (0, "")
    assert code == 0
    assert agent_out == [
        "wrote a.txt: first",
        "result 5 chars",
        "wrote b.txt: from afar",
        "result 9 chars",
        "done",
        "stats 0",
    ]
    lines = out.splitlines()
    assert lines[0].startswith(f"Attached to pid {a.proc.pid} (")
    assert lines[0].endswith(
        f", recording linked-notes ({a.session_id[:12]}). "
        "Paused steps resume by themselves after 300 s."
    )
    assert lines[1].startswith("Breakpoint 1: tool:write_note (set by agentreel attach (via server")
    assert lines[2:] == [
        "Waiting for a step to pause (Ctrl-C: pause before the next step).",
        f"Paused before #2 tool write_note in linked-notes ({a.session_id[:12]}): breakpoint 1 "
        "(tool:write_note); resumes by itself (continue) in 300 s",
        "input: {",
        '  "path": "a.txt",',
        '  "text": "first"',
        "}",
        "(attach #2 tool write_note) input",
        "{",
        '  "path": "a.txt",',
        '  "text": "first"',
        "}",
        "(attach #2 tool write_note) continue",
        "continue: step 2",
        "Waiting for a step to pause (Ctrl-C: pause before the next step).",
        f"Paused before #3 tool write_note in linked-notes ({a.session_id[:12]}): breakpoint 1 "
        "(tool:write_note); resumes by itself (continue) in 300 s",
        "input: {",
        '  "path": "b.txt",',
        '  "text": "second"',
        "}",
        '(attach #3 tool write_note) edit {"text": "from afar"}',
        "edit: step 3",
        "Waiting for a step to pause (Ctrl-C: pause before the next step).",
        "The agent process ended.",
    ]


def test_the_http_api_sees_the_pause_skips_and_aborts(
    server: str, home: Path, started: list[subprocess.Popen[str]]
) -> None:
    a = agent(started, server, home, AGENTREEL_BREAK="tool:write_note")
    process = process_of(server, a.session_id)
    assert process is not None and process["pid"] == a.proc.pid
    with ServerControlClient(server, process["id"], name="api test", timeout=10) as client:
        a.go()
        first = client.wait_event("paused", 15)["pause"]
        assert (first["step"], first["kind"], first["input"]) == (
            2,
            "tool",
            {"path": "a.txt", "text": "first"},
        )
        assert [p["pause"] for p in client.request("pauses")] == [first["pause"]]
        client.resolve(first["pause"], "skip")
        resumed = client.wait_event("resumed", 15)
        assert resumed["action"] == "skip"
        assert resumed["by"].startswith("api test (via server, ctl-")
        second = client.wait_event("paused", 15)["pause"]
        assert second["input"] == {"path": "b.txt", "text": "second"}
        # What the API refuses, it says: an edit without input, a pause that is gone.
        with pytest.raises(ControlError, match="edit needs") as bad:
            client.request("resolve", pause=second["pause"], action="edit")
        assert bad.value.code == "bad_request"
        with pytest.raises(ControlError) as gone:
            client.resolve(first["pause"], "continue")
        assert gone.value.code == "no_such_pause"
        client.resolve(second["pause"], "abort")
        code, agent_out, _ = a.finish()
    assert code == 0
    assert agent_out[0].startswith("vetoed a.txt")
    assert agent_out[1:] == ["aborted", "done", "stats 0"]


def test_api_errors_unknown_op_unknown_process_and_a_late_agent(
    server: str, home: Path, started: list[subprocess.Popen[str]]
) -> None:
    a = agent(started, server, home)
    process = process_of(server, a.session_id)
    assert process is not None
    base = f"{server}/api/control/processes"
    body: dict[str, Any] = {"controller": "test-controller-1", "op": "launch"}
    r = httpx.post(f"{base}/{process['id']}/requests", json=body, headers=CSRF)
    assert r.status_code == 400 and "the ops are hello, attach" in r.json()["error"]["message"]
    body["op"] = "hello"
    r = httpx.post(f"{base}/0123456789abcdef/requests", json=body, headers=CSRF)
    assert (r.status_code, r.json()["error"]["type"]) == (404, "UnknownProcess")
    r = httpx.post(f"{base}/{process['id']}/requests", json=body, headers=CSRF)
    assert r.status_code == 200
    hello = r.json()["response"]["result"]
    assert hello["pid"] == a.proc.pid and hello["protocol"] == 1
    # The agent stops answering (SIGSTOP): the controller gets 504 after its timeout.
    a.proc.send_signal(signal.SIGSTOP)
    try:
        time.sleep(0.3)
        body["timeout"] = 1.0
        r = httpx.post(f"{base}/{process['id']}/requests", json=body, headers=CSRF, timeout=10)
        assert (r.status_code, r.json()["error"]["type"]) == (504, "AgentUnavailable")
    finally:
        a.proc.send_signal(signal.SIGCONT)
    a.go()
    code, agent_out, _ = a.finish()
    assert code == 0 and agent_out[-2:] == ["done", "stats 0"]
    # Gone with the agent: its process is no longer listed.
    assert process_of(server, a.session_id) is None
    r = httpx.get(f"{base}/{process['id']}", headers=CSRF)
    assert r.status_code == 404


def test_a_controller_that_disappears_resumes_the_pause_it_caused(
    server: str, home: Path, started: list[subprocess.Popen[str]]
) -> None:
    a = agent(started, server, home)
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "attach", "--server", server, "--break", "tool:*"],
        cwd=home,
        stdin=subprocess.PIPE,  # left open: the prompt waits for a command that never comes
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ(),
    )
    started.append(proc)
    wait_until(lambda: owners(server, a))
    a.go()
    wait_until(lambda: paused_at(server, a.session_id))
    proc.kill()  # no goodbye: the server notices it stopped asking
    killed = time.monotonic()
    code, agent_out, _ = a.finish(timeout=20)
    assert time.monotonic() - killed < 10
    assert code == 0
    # a.txt resumed as its breakpoint's timeout would have; the breakpoint went with it.
    assert agent_out == [
        "wrote a.txt: first",
        "result 5 chars",
        "wrote b.txt: second",
        "result 6 chars",
        "done",
        "stats 0",
    ]


def test_attach_says_in_one_line_when_the_server_or_process_is_not_there(home: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    proc = run_cli(home, "attach", "--server", nowhere)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.startswith(f"agentreel: error: cannot reach the agentreel server at {nowhere} (")
    assert err.count("\n") == 1


def test_attach_names_an_unknown_session(server: str, home: Path) -> None:
    proc = run_cli(home, "attach", "--server", server, "feedbead")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err == (
        f"agentreel: error: no agent process recording session 'feedbead' is linked to {server}; "
        "an agent links when it sends to the server (agentreel.configure(endpoint=...)) with its "
        "control channel on (a breakpoint, control=True or AGENTREEL_CONTROL=1)\n"
    )


def test_the_agent_exits_in_bounded_time_when_its_server_hangs(
    home: Path, started: list[subprocess.Popen[str]]
) -> None:
    with serving_process(str(home / "hung.db"), home) as (url, server):
        a = agent(started, url, home)
        server.send_signal(signal.SIGSTOP)  # accepts connections, answers nothing
        try:
            begun = time.monotonic()
            a.go()
            code, agent_out, _ = a.finish(timeout=30)
            took = time.monotonic() - begun
        finally:
            server.send_signal(signal.SIGCONT)
    assert code == 0 and agent_out[-2:] == ["done", "stats 0"]
    # The link's stop (about 1.5 s) and the exporter's exit flush (2 s by default).
    assert took < 8, took
