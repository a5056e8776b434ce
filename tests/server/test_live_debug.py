"""/api/live/{id}/...: the server steering a real agent process through its control socket."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.live.conftest import Agent, spawn

import agentreel
from agentreel.hooks import ControlClient
from agentreel.server import ServerSettings, create_app
from agentreel.server._live_debug import LiveLinks

#: A browser's double-submit pair: the CSRF middleware lets these requests through.
CSRF = {"Cookie": "agentreel_csrf=tok", "X-CSRF-Token": "tok"}
BREAK_AT_NOTES = {"BREAK": "tool:write_note"}

pytestmark = pytest.mark.anyio


@pytest.fixture
def home() -> Iterator[Path]:
    # Short: a unix socket's path is limited to about 107 bytes.
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


@pytest.fixture
def agents(home: Path) -> Iterator[list[Agent]]:
    started: list[Agent] = []
    yield started
    for agent in started:
        if agent.proc.poll() is None:
            agent.proc.kill()
        agent.proc.communicate(timeout=10)


@pytest.fixture
def start(home: Path, agents: list[Agent]) -> Any:
    def go(**env: str) -> Agent:
        agent = spawn(home / "reel.db", **env)
        agents.append(agent)
        return agent

    return go


@pytest.fixture
def app(home: Path, agents: list[Agent]) -> Iterator[FastAPI]:
    # The agent's store: created here so that the app can open it before the agent writes.
    app = create_app(str(home / "reel.db"), settings=ServerSettings(metrics_ttl=0.0))
    links = app.state.agentreel_live = LiveLinks.for_store(app.state.agentreel.store)
    yield app
    links.close()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=CSRF
    ) as c:
        yield c


async def until(client: httpx.AsyncClient, path: str, check: Any, timeout: float = 10.0) -> Any:
    """GET ``path`` until ``check(json)`` holds; returns that JSON."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await client.get(path)
        if r.status_code == 200 and check(r.json()):
            return r.json()
        assert asyncio.get_running_loop().time() < deadline, (path, r.status_code, r.text)
        await asyncio.sleep(0.05)


async def wait_for_session(client: httpx.AsyncClient, agent: Agent) -> None:
    await until(client, f"/api/sessions/{agent.session_id}", lambda s: True)


async def finish(agent: Agent) -> tuple[int, str, str]:
    return await asyncio.to_thread(agent.finish)


async def test_breakpoints_set_from_the_server_pause_the_agent_until_continued(
    client: httpx.AsyncClient, start: Any
) -> None:
    a: Agent = start()
    await wait_for_session(client, a)
    live = f"/api/live/{a.session_id[:8]}"  # any unique prefix works
    state = (await client.get(f"{live}/state")).json()
    assert state["live"] is True and state["pid"] == a.proc.pid
    assert state["session_id"] == a.session_id
    assert (state["paused"], state["paused_at"], state["breakpoints"]) == (False, None, [])
    assert state["controller"] is None  # only looking: not a controller yet

    r = await client.post(f"{live}/breakpoints", json={"spec": "tool:write_note"})
    assert r.status_code == 201, r.text
    bp = r.json()
    assert (bp["number"], bp["spec"], bp["once"]) == (1, "tool:write_note", False)
    assert bp["owner"].startswith("agentreel serve web UI (pid ")
    # The breakpoint outlives the request that set it (the connection stays open).
    state = (await client.get(f"{live}/state")).json()
    assert state["breakpoints"] == [bp] and state["controller"] == bp["owner"]

    a.go()
    state = await until(client, f"{live}/state", lambda s: s["paused"])
    paused = state["paused_at"]
    assert state["pauses"] == [paused]
    assert (paused["step"], paused["kind"], paused["name"]) == (2, "tool", "write_note")
    assert paused["input"] == {"path": "a.txt", "text": "first"}
    assert paused["reason"] == "breakpoint 1 (tool:write_note)"
    assert paused["owner"] == bp["owner"]

    r = await client.post(f"{live}/command", json={"action": "continue", "pause": paused["pause"]})
    assert r.json() == {"pause": paused["pause"], "action": "continue", "step": 2}
    # The same pause again: it is gone.
    r = await client.post(f"{live}/command", json={"action": "continue", "pause": paused["pause"]})
    assert r.status_code == 409 and r.json()["error"]["type"] == "PauseGone"

    second = (await until(client, f"{live}/state", lambda s: s["paused"]))["paused_at"]
    assert second["input"] == {"path": "b.txt", "text": "second"}
    r = await client.delete(f"{live}/breakpoints/1")
    assert r.status_code == 200 and r.json() == {"removed": bp}
    r = await client.delete(f"{live}/breakpoints/1")
    assert r.status_code == 404 and r.json()["error"]["type"] == "UnknownBreakpoint"
    # Without "pause": the session's only paused step.
    r = await client.post(f"{live}/command", json={"action": "continue"})
    assert r.json() == {"pause": second["pause"], "action": "continue", "step": 3}
    code, out, _err = await finish(a)
    assert code == 0 and out.splitlines()[-1] == "done"
    step = a.steps()[("tool", "write_note a.txt")]
    assert step.attributes["agentreel.pause.resolution"] == "continue"
    assert step.attributes["agentreel.decision.hook"] == bp["owner"]

    r = await client.get(f"{live}/state")
    assert r.status_code == 404 and r.json()["error"]["type"] == "NotLive"


async def test_edit_skip_and_abort(client: httpx.AsyncClient, start: Any) -> None:
    a: Agent = start(**BREAK_AT_NOTES)
    await wait_for_session(client, a)
    live = f"/api/live/{a.session_id}"
    a.go()
    await until(client, f"{live}/state", lambda s: s["paused"])
    r = await client.post(f"{live}/command", json={"action": "edit"})
    assert r.status_code == 400 and "edit needs" in r.json()["error"]["message"]
    new = {"path": "a.txt", "text": "edited over HTTP"}
    r = await client.post(f"{live}/command", json={"action": "edit", "input": new})
    assert r.status_code == 200, r.text
    # Between resuming at the edited step and pausing at the next one the state
    # says "not paused" (paused_at None): wait for the pause itself.
    await until(
        client,
        f"{live}/state",
        lambda s: s["paused"] and s["paused_at"]["input"]["path"] == "b.txt",
    )
    assert (await client.post(f"{live}/command", json={"action": "skip"})).status_code == 200
    code, out, _err = await finish(a)
    assert code == 0
    assert out.splitlines()[:2] == ["wrote a.txt: edited over HTTP", "result 16 chars"]
    assert out.splitlines()[2].startswith("vetoed b.txt skipped at a pause")
    steps = a.steps()
    assert a.input_of(steps[("tool", "write_note a.txt")]) == new
    assert steps[("tool", "write_note b.txt")].attributes["agentreel.decision"] == "veto"

    b: Agent = start(**BREAK_AT_NOTES)
    await wait_for_session(client, b)
    b.go()
    await until(client, f"/api/live/{b.session_id}/state", lambda s: s["paused"])
    r = await client.post(f"/api/live/{b.session_id}/command", json={"action": "abort"})
    assert r.status_code == 200
    code, out, err = await finish(b)
    assert code == 1 and "RunAborted" in err
    found = await until(
        client, f"/api/sessions/{b.session_id}", lambda s: s["session"]["status"] != "running"
    )
    assert found["session"]["status"] == "error"


async def test_bad_requests_are_refused_and_nothing_is_run(
    client: httpx.AsyncClient, start: Any
) -> None:
    a: Agent = start()
    await wait_for_session(client, a)
    live = f"/api/live/{a.session_id}"
    bad = [
        ("POST", "breakpoints", {"spec": "if __import__('os').system('id')"}, 400),
        ("POST", "breakpoints", {"spec": ""}, 400),
        ("POST", "breakpoints", {"spec": "tool", "run": "rm -rf /"}, 400),
        ("POST", "command", {"action": "exec"}, 400),
        ("POST", "command", {"action": "continue"}, 409),  # nothing is paused
        ("POST", "command", {"action": "continue", "pause": 7}, 409),
        ("DELETE", "breakpoints/7", None, 404),
    ]
    for method, path, body, status in bad:
        r = await client.request(method, f"{live}/{path}", json=body)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["error"]["message"], (path, body)
    r = await client.post(f"{live}/breakpoints", content=b"not json")
    assert r.status_code == 400
    # CSRF applies: without the token a browser request is refused.
    r = await client.post(f"{live}/breakpoints", json={"spec": "tool"}, headers={"Cookie": ""})
    assert r.status_code == 403 and r.json()["error"]["type"] == "CsrfRejected"
    assert (await client.get(f"{live}/state")).json()["breakpoints"] == []
    a.go()
    assert (await finish(a))[0] == 0


async def test_a_session_without_a_live_process_is_not_live(
    client: httpx.AsyncClient, home: Path
) -> None:
    agentreel.configure(db=str(home / "reel.db"))
    try:
        with agentreel.session("no-control") as session:
            pass
        assert agentreel.flush(timeout=10)
    finally:
        agentreel.shutdown()
    r = await client.get(f"/api/live/{session.id}/state")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["type"] == "NotLive"
    assert "no live agent process records session" in error["message"]
    assert "AGENTREEL_CONTROL=1" in error["message"]
    r = await client.post(f"/api/live/{session.id}/command", json={"action": "continue"})
    assert r.status_code == 404
    assert (await client.get("/api/live/nope/state")).json()["error"]["type"] == "UnknownSession"


async def test_an_idle_connection_closes_and_takes_its_breakpoints(
    app: FastAPI, client: httpx.AsyncClient, start: Any
) -> None:
    app.state.agentreel_live.close()
    links = app.state.agentreel_live = LiveLinks.for_store(app.state.agentreel.store, idle=0.4)
    a: Agent = start()
    await wait_for_session(client, a)
    r = await client.post(f"/api/live/{a.session_id}/breakpoints", json={"spec": "llm"})
    assert r.status_code == 201
    with ControlClient(a.socket) as look:
        assert [b["spec"] for b in look.request("breakpoints")] == ["llm"]
        await asyncio.sleep(1.0)  # no request for the process: the connection closes
        assert look.request("breakpoints") == []
    # The next request opens a new connection.
    assert (await client.get(f"/api/live/{a.session_id}/state")).status_code == 200
    a.go()
    assert (await finish(a))[0] == 0
    links.close()
