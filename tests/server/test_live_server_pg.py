"""Two ``agentreel serve`` processes on one PostgreSQL database carry one live-debug link.

The agent polls server one; the controller talks to server two. Requests,
responses, events and the process's state are rows in the shared database,
so it works whichever server each side reaches.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from tests.live._linked import process_of, serving, spawn_agent

from agentreel.hooks import ServerControlClient

BASE_DSN = "postgresql://127.0.0.1:5432/test"
CSRF = {"Cookie": "agentreel_csrf=tok", "X-CSRF-Token": "tok"}


@pytest.fixture
def dsn() -> Iterator[str]:
    """A fresh schema of the test database, dropped afterwards."""
    schema = f"live_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(BASE_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE SCHEMA {schema}".encode())
    except psycopg.OperationalError as exc:
        raise AssertionError(
            f"PostgreSQL is not reachable at {BASE_DSN} ({exc}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        ) from exc
    yield f"{BASE_DSN}?options=-csearch_path%3D{schema}"
    with psycopg.connect(BASE_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())


@pytest.fixture
def home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


def test_the_agent_polls_one_server_and_the_controller_drives_it_through_another(
    dsn: str, home: Path
) -> None:
    with (
        serving(dsn, home, AGENTREEL_CONTROLLER_TIMEOUT="3") as one,
        serving(dsn, home, AGENTREEL_CONTROLLER_TIMEOUT="3") as two,
    ):
        a = spawn_agent(one, home, AGENTREEL_BREAK="tool:write_note")
        try:
            assert a.linked
            # Both servers list the process: its row is in the shared database.
            here, there = process_of(one, a.session_id), process_of(two, a.session_id)
            assert here is not None and there is not None
            assert here["id"] == there["id"] and there["pid"] == a.proc.pid
            with ServerControlClient(two, there["id"], name="replica two") as client:
                a.go()
                pause = client.wait_event("paused", 15)["pause"]
                assert pause["input"] == {"path": "a.txt", "text": "first"}
                client.resolve(pause["pause"], "edit", {"text": "via two"})
                assert client.wait_event("resumed", 15)["action"] == "edit"
                # The web UI's routes on server two see the next pause, and resume it.
                with httpx.Client(base_url=two, headers=CSRF, timeout=15) as web:
                    live = f"/api/live/{a.session_id}"
                    state = _until(web, f"{live}/state", lambda s: s["paused"])
                    assert state["paused_at"]["input"] == {"path": "b.txt", "text": "second"}
                    assert state["pid"] == a.proc.pid
                    r = web.post(f"{live}/command", json={"action": "skip"})
                    assert r.status_code == 200, r.text
                code, out, err = a.finish()
        finally:
            if a.proc.poll() is None:
                a.proc.kill()
                a.proc.communicate(timeout=10)
    assert code == 0
    assert out[:3] == ["wrote a.txt: via two", "result 7 chars", out[2]]
    assert out[2].startswith("vetoed b.txt")
    assert out[3:] == ["done", "stats 0"], err  # the agent logs what failed


def test_a_server_on_postgresql_says_how_an_agent_links(dsn: str, home: Path) -> None:
    """Once the agent has gone, the session is not live; the answer says how to link one."""
    with serving(dsn, home) as url:
        a = spawn_agent(url, home)
        try:
            with httpx.Client(base_url=url, timeout=15) as web:
                _until(web, f"/api/sessions/{a.session_id}", lambda s: True)
                a.go()
                a.finish()
                r = web.get(f"/api/live/{a.session_id}/state")
        finally:
            if a.proc.poll() is None:
                a.proc.kill()
                a.proc.communicate(timeout=10)
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["type"] == "NotLive"
    assert "not linked to this server" in error["message"]
    assert "agentreel.configure(endpoint=...)" in error["message"]


def _until(client: httpx.Client, path: str, check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(path)
        if r.status_code == 200 and check(r.json()):
            return r.json()
        assert time.monotonic() < deadline, (path, r.status_code, r.json())
        time.sleep(0.05)
