"""``agentreel ls --server URL``: the same table and JSON as ``ls``, from a real server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from agentreel.server import ServerSettings, create_app
from agentreel.storage import SQLiteStore

from ._reel import FIX_ID, LIVE_ID, NOTES_ID
from ._run import Invoke, invoke_cli


@contextmanager
def _serving(db: Path, *, auth: bool = False) -> Iterator[str]:
    """``agentreel serve``'s app on ``db``, on 127.0.0.1 and a free port, in a thread."""
    app = create_app(db, settings=ServerSettings(auth=auth, metrics_ttl=0.0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def server_url(reel: Path) -> Iterator[str]:
    with _serving(reel) as url:
        yield url


@pytest.fixture
def remote(server_url: str, tmp_path: Path) -> Invoke:
    """The CLI pointed at the server, with a local --db that does not exist."""

    def run(*args: str, **extra: object) -> object:
        return invoke_cli(tmp_path / "absent.db", ["ls", "--server", server_url, *args], **extra)

    return run  # type: ignore[return-value]


def test_the_table_is_the_local_one(invoke: Invoke, remote: Invoke) -> None:
    local = invoke("ls")
    run = remote()
    assert run.exit_code == 0, run.err + run.stderr
    assert run.text == local.text
    assert run.err == ""


def test_json_is_the_local_json(invoke: Invoke, remote: Invoke) -> None:
    for args in ([], ["--limit", "1"], ["--name", "fix"]):
        local = json.loads(invoke("ls", "--json", *args).out)
        assert json.loads(remote("--json", *args).out) == local, args


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--name", "FIX"], [FIX_ID]),
        (["--tag", "demo", "--tag", "flaky"], [FIX_ID]),
        (["--tag", "demo", "--tag", "nope"], []),
        (["--status", "running"], [LIVE_ID]),
        (["--project", "docs"], [NOTES_ID]),
        (["--since", "2h"], [LIVE_ID]),
        (["--since", "2024-12-25"], [LIVE_ID, FIX_ID]),
        (["--limit", "2"], [LIVE_ID, FIX_ID]),
    ],
)
def test_filters_reach_the_server(remote: Invoke, args: list[str], expected: list[str]) -> None:
    run = remote("--json", *args)
    assert run.exit_code == 0, run.err + run.stderr
    assert [s["id"] for s in json.loads(run.out)["sessions"]] == expected


def test_cut_short_and_empty(remote: Invoke) -> None:
    assert remote("--limit", "1").text.splitlines()[-1] == (
        "Showing the newest 1; use --limit to see more."
    )
    assert remote("--name", "no such session").text == "No sessions match these filters.\n"


def test_an_empty_server(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    SQLiteStore(db).close()
    with _serving(db) as url:
        run = invoke_cli(None, ["ls", "--server", url])
    assert run.exit_code == 0
    assert run.text == f"No sessions on the server at {url} yet.\n"


def test_the_server_url_and_key_come_from_the_environment(reel: Path, tmp_path: Path) -> None:
    store = SQLiteStore(reel)
    try:
        _, secret = store.create_api_key("docs", "ci")
    finally:
        store.close()
    with _serving(reel, auth=True) as url:
        env = {"AGENTREEL_SERVER": url}
        refused = invoke_cli(tmp_path / "absent.db", ["ls"], env=env)
        assert refused.exit_code == 1
        assert refused.err.startswith("agentreel: error: the server at")
        assert "refused the request" in refused.err
        assert "--api-key" in refused.err
        run = invoke_cli(
            tmp_path / "absent.db", ["ls", "--json"], env={**env, "AGENTREEL_API_KEY": secret}
        )
        flag = invoke_cli(tmp_path / "absent.db", ["ls", "--json", "--server", url,
                                                    "--api-key", secret])  # fmt: skip
    assert run.exit_code == 0, run.stderr
    # A key sees its own project only.
    assert [s["id"] for s in json.loads(run.out)["sessions"]] == [NOTES_ID]
    assert json.loads(flag.out) == json.loads(run.out)


def test_an_unreachable_server_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    run = invoke_cli(tmp_path / "absent.db", ["ls", "--server", f"http://127.0.0.1:{port}"])
    assert run.exit_code == 1
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith(
        f"agentreel: error: cannot reach the agentreel server at http://127.0.0.1:{port}"
    )


def test_not_a_url(tmp_path: Path) -> None:
    run = invoke_cli(tmp_path / "absent.db", ["ls", "--server", "localhost:7723"])
    assert run.exit_code == 2
    assert "not an http:// or https:// URL" in run.stderr
