"""/api/live/{id}/...: the web UI's live endpoints driving an agent linked to the server.

A real ``agentreel serve`` on SQLite, and an agent process that sends to it
(``configure(endpoint=...)``) and keeps its control socket where the server
does not look: every answer comes through the agent's link to the server,
in the same shapes as for an agent on the server's machine.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.live._linked import serving, spawn_agent

#: A browser's double-submit pair: the CSRF middleware lets these requests through.
CSRF = {"Cookie": "agentreel_csrf=tok", "X-CSRF-Token": "tok"}


@pytest.fixture
def home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


@pytest.fixture
def server(home: Path) -> Iterator[str]:
    with serving(str(home / "server.db"), home) as url:
        yield url


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def until(client: httpx.Client, path: str, check: Any, timeout: float = 15.0) -> Any:
    """GET ``path`` until ``check(json)`` holds; returns that JSON."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(path)
        if r.status_code == 200 and check(r.json()):
            return r.json()
        assert time.monotonic() < deadline, (path, r.status_code, r.json())
        time.sleep(0.05)


def test_the_web_ui_routes_drive_a_linked_agent(
    server: str, home: Path, started: list[subprocess.Popen[str]]
) -> None:
    # Its socket goes to home/ctl; the server looks beside its store, in home/control.
    a = spawn_agent(server, home)
    started.append(a.proc)
    with httpx.Client(base_url=server, headers=CSRF, timeout=15) as client:
        until(client, f"/api/sessions/{a.session_id}", lambda s: True)
        live = f"/api/live/{a.session_id[:8]}"
        state = client.get(f"{live}/state").json()
        assert state["live"] is True and state["pid"] == a.proc.pid
        assert state["session_id"] == a.session_id
        assert (state["paused"], state["paused_at"], state["breakpoints"]) == (False, None, [])
        assert state["controller"] is None  # only looking: not a controller yet

        r = client.post(f"{live}/breakpoints", json={"spec": "tool:write_note"})
        assert r.status_code == 201, r.text
        bp = r.json()
        assert (bp["number"], bp["spec"], bp["once"]) == (1, "tool:write_note", False)
        assert bp["owner"] == "agentreel serve web UI (via server)"
        state = until(client, f"{live}/state", lambda s: s["breakpoints"])
        assert state["breakpoints"] == [bp] and state["controller"] == bp["owner"]
        # Nothing sent is run: code in a condition is a spec that does not parse.
        r = client.post(f"{live}/breakpoints", json={"spec": "if __import__('os').system('id')"})
        assert r.status_code == 400 and r.json()["error"]["type"] == "BadRequest"

        a.go()
        state = until(client, f"{live}/state", lambda s: s["paused"])
        paused = state["paused_at"]
        assert state["pauses"] == [paused]
        assert (paused["step"], paused["kind"], paused["name"]) == (2, "tool", "write_note")
        assert paused["input"] == {"path": "a.txt", "text": "first"}
        assert paused["owner"] == bp["owner"]
        assert 0 < paused["resumes_in_s"] <= 300

        r = client.post(f"{live}/command", json={"action": "edit", "input": {"text": "page"}})
        assert r.status_code == 200, r.text
        assert r.json() == {"pause": paused["pause"], "action": "edit", "step": 2}
        state = until(
            client, f"{live}/state", lambda s: s["paused"] and s["paused_at"]["step"] == 3
        )
        stale = {"action": "continue", "pause": paused["pause"]}
        r = client.post(f"{live}/command", json=stale)
        assert (r.status_code, r.json()["error"]["type"]) == (409, "PauseGone")

        r = client.delete(f"{live}/breakpoints/7")
        assert (r.status_code, r.json()["error"]["type"]) == (404, "UnknownBreakpoint")
        r = client.delete(f"{live}/breakpoints/1")
        assert r.status_code == 200 and r.json() == {"removed": bp}
        r = client.post(f"{live}/command", json={"action": "continue"})
        assert r.status_code == 200 and r.json()["step"] == 3
        code, out, _ = a.finish()
        assert code == 0
        assert out[:4] == [
            "wrote a.txt: page",
            "result 4 chars",
            "wrote b.txt: second",
            "result 6 chars",
        ]
        # The process has left: the session is no longer live.
        r = client.get(f"{live}/state")
        assert (r.status_code, r.json()["error"]["type"]) == (404, "NotLive")


def test_the_openapi_schema_lists_the_control_routes(server: str) -> None:
    paths = httpx.get(f"{server}/api/openapi.json").json()["paths"]
    for path in (
        "/api/control/processes",
        "/api/control/processes/{process_id}",
        "/api/control/processes/{process_id}/requests",
        "/api/control/processes/{process_id}/events",
        "/api/control/processes/{process_id}/controllers/{controller}",
        "/v1/control/poll",
        "/v1/control/push",
        "/v1/control/leave",
    ):
        assert path in paths, path
