"""The server link under auth: keys on both sides, projects kept apart, failures counted."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agentreel.hooks import ControlError, ServerControlClient
from agentreel.storage import SQLiteStore

from ._linked import process_of, processes, run_cli, serving, spawn_agent


@pytest.fixture(scope="module")
def place() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


@pytest.fixture(scope="module")
def keys(place: Path) -> dict[str, str]:
    store = SQLiteStore(place / "server.db")
    try:
        return {
            "ours": store.create_api_key("ours", "agent and controller")[1],
            "theirs": store.create_api_key("theirs", "another team")[1],
        }
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(place: Path, keys: dict[str, str]) -> Iterator[str]:
    with serving(str(place / "server.db"), place, "--auth") as url:
        yield url


@pytest.fixture
def home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_a_key_sees_and_drives_only_its_own_projects_processes(
    server: str, home: Path, keys: dict[str, str], started: list[subprocess.Popen[str]]
) -> None:
    a = spawn_agent(server, home, key=keys["ours"], AGENTREEL_BREAK="tool:write_note")
    started.append(a.proc)
    assert a.linked
    ours, theirs = {"X-Api-Key": keys["ours"]}, {"X-Api-Key": keys["theirs"]}
    process = process_of(server, a.session_id, keys["ours"])
    assert process is not None and process["project"] == "ours"
    base = f"{server}/api/control/processes"
    request = {"controller": "someone-else-1", "op": "pauses"}
    # No key: 401 on every control route, the agent's included.
    assert httpx.get(base).status_code == 401
    assert httpx.post(f"{base}/{process['id']}/requests", json=request).status_code == 401
    assert httpx.post(f"{server}/v1/control/poll", json={"process": "ab" * 8}).status_code == 401
    # Another project's key: the process does not exist for it.
    assert processes(server, keys["theirs"]) == []
    for method, path in (
        ("GET", f"{base}/{process['id']}"),
        ("POST", f"{base}/{process['id']}/requests"),
        ("GET", f"{base}/{process['id']}/events"),
        ("DELETE", f"{base}/{process['id']}/controllers/someone-else-1"),
    ):
        r = httpx.request(method, path, headers=theirs, json=request if method == "POST" else None)
        assert (r.status_code, r.json()["error"]["type"]) == (404, "UnknownProcess"), path
    # Another project's agent cannot take this process's id (nor its requests).
    body = {"process": process["id"], "wait": 0}
    r = httpx.post(f"{server}/v1/control/poll", json=body, headers=theirs)
    assert (r.status_code, r.json()["error"]["type"]) == (409, "ProcessIdTaken")
    with pytest.raises(ControlError, match="is linked to this server") as refused:
        ServerControlClient(server, process["id"], api_key=keys["theirs"])
    assert refused.value.code == "unknown_process"
    # The agent's own project drives it.
    with ServerControlClient(server, process["id"], api_key=keys["ours"], name="ours") as c:
        a.go()
        pause = c.wait_event("paused", 15)["pause"]
        c.resolve(pause["pause"], "edit", {"text": "with a key"})
        pause = c.wait_event("paused", 15)["pause"]
        c.resolve(pause["pause"], "continue")
        code, out, _ = a.finish()
    assert code == 0
    assert out == [
        "wrote a.txt: with a key",
        "result 10 chars",
        "wrote b.txt: second",
        "result 6 chars",
        "done",
        "stats 0",
    ]
    assert httpx.get(base, headers=ours).json() == {"processes": []}


def test_attach_without_a_key_says_so_in_one_line(server: str, home: Path) -> None:
    proc = run_cli(home, "attach", "--server", server)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err == (
        f"agentreel: error: the server at {server} refused the request: this server needs an "
        "API key: send it as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY' (create one with "
        "`agentreel keys create --project NAME --name NAME`); pass --api-key KEY or set "
        "AGENTREEL_API_KEY (`agentreel keys create` makes one)\n"
    )
    proc = run_cli(home, "attach", "--server", server, AGENTREEL_API_KEY="agr_0123_wrong")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "the API key is not valid" in err and err.count("\n") == 1


def test_an_agent_whose_link_is_refused_runs_on_and_counts_it(
    server: str, home: Path, started: list[subprocess.Popen[str]]
) -> None:
    a = spawn_agent(server, home, LINK_WAIT="1")  # no key: the server answers its link 401
    started.append(a.proc)
    assert not a.linked
    a.go()
    code, out, err = a.finish()
    assert code == 0
    assert out[:5] == [
        "wrote a.txt: first",
        "result 5 chars",
        "wrote b.txt: second",
        "result 6 chars",
        "done",
    ]
    failures = int(out[5].split()[1])
    assert failures >= 1
    # Logged once, however often it failed.
    assert err.count("control_link_errors") == 1
    assert "answered 401" in err


def test_a_controller_that_detaches_resumes_its_pause_at_once(
    server: str, home: Path, keys: dict[str, str], started: list[subprocess.Popen[str]]
) -> None:
    """This server keeps a silent controller for the default 30 s: only the detach can be quick."""
    a = spawn_agent(server, home, key=keys["ours"])
    started.append(a.proc)
    process = process_of(server, a.session_id, keys["ours"])
    assert process is not None
    with ServerControlClient(server, process["id"], api_key=keys["ours"], name="leaver") as c:
        assert c.request("break", spec="tool:write_note")["owner"].startswith("leaver (via server")
        a.go()
        c.wait_event("paused", 15)
    detached = time.monotonic()
    code, out, _ = a.finish()
    assert time.monotonic() - detached < 10
    assert code == 0
    # Its breakpoint went with it: b.txt did not pause either.
    assert out == [
        "wrote a.txt: first",
        "result 5 chars",
        "wrote b.txt: second",
        "result 6 chars",
        "done",
        "stats 0",
    ]
