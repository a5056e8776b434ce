"""``agentreel serve`` and ``agentreel keys``, through click's runner and a real process."""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import httpx
import orjson
import pytest
from click.testing import CliRunner
from rich.console import Console

from agentreel import server
from agentreel.cli import _serve
from agentreel.cli._app import AgentreelGroup
from agentreel.cli._context import CliContext
from agentreel.cli._keys import keys
from agentreel.cli._serve import serve
from agentreel.storage import SQLiteStore


@click.group(cls=AgentreelGroup)
def group() -> None:
    """The commands under test, in a group with the real error policy."""


group.add_command(serve)
group.add_command(keys)


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    out = Console(width=200, no_color=True, file=io.StringIO())
    err = Console(width=200, no_color=True, file=io.StringIO())
    obj = CliContext(db=str(db), console=out, err_console=err, tz=dt.UTC)
    result = CliRunner().invoke(group, list(args), obj=obj, catch_exceptions=False)
    assert isinstance(out.file, io.StringIO) and isinstance(err.file, io.StringIO)
    return result.exit_code, out.file.getvalue(), err.file.getvalue() + result.stderr


def test_cli_defaults_match_the_server() -> None:
    assert _serve.DEFAULT_PORT == server.DEFAULT_PORT
    assert _serve.DEFAULT_HOST == server.DEFAULT_HOST
    assert _serve.DEFAULT_MAX_BODY == server.DEFAULT_MAX_BODY


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.com"])
def test_a_public_bind_without_auth_is_refused_in_one_line(tmp_path: Path, host: str) -> None:
    code, out, err = _run(tmp_path / "r.db", "serve", "--host", host)
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"agentreel: error: refusing to listen on {host} without auth")
    assert "agentreel keys create --project NAME --name NAME" in lines[0]


def test_loopback_names() -> None:
    for host in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"):
        assert server.is_loopback(host), host
    for host in ("0.0.0.0", "::", "10.0.0.1", "myhost"):
        assert not server.is_loopback(host), host


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    db = tmp_path / "keys.db"
    code, out, err = _run(db, "keys", "create", "--project", "payments", "--name", "ci")
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("agr_")
    assert "shown once" in err
    code, out, _ = _run(db, "keys", "ls")
    assert code == 0
    assert "payments" in out and "ci" in out and "active" in out
    assert secret not in out
    listed = orjson.loads(_run(db, "keys", "ls", "--json")[1])["keys"]
    assert [(k["project"], k["name"], k["revoked_at"]) for k in listed] == [
        ("payments", "ci", None)
    ]
    store = SQLiteStore(db)
    try:
        assert store.check_api_key(secret) == "payments"
        code, out, _ = _run(db, "keys", "revoke", listed[0]["id"])
        assert (code, out.strip()) == (0, f"Revoked key {listed[0]['id']}.")
        assert store.check_api_key(secret) is None
    finally:
        store.close()
    assert "revoked" in _run(db, "keys", "ls")[1]
    code, _, err = _run(db, "keys", "revoke", "nope")
    assert code == 1
    assert "no API key 'nope'" in err


def test_keys_create_json(tmp_path: Path) -> None:
    code, out, _ = _run(
        tmp_path / "k.db", "keys", "create", "--project", "p", "--name", "n", "--json"
    )
    assert code == 0
    body = orjson.loads(out)
    assert body["project"] == "p" and body["secret"].startswith("agr_")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_serve_runs_uvicorn_on_the_sdk_database(tmp_path: Path) -> None:
    """The real command in a child process, on the default database of its directory."""
    port = _free_port()
    script = (
        "import sys; from agentreel.cli._serve import serve; "
        "serve.main(sys.argv[1:], prog_name='agentreel serve')"
    )
    env = {k: v for k, v in os.environ.items() if k != "AGENTREEL_DB"}
    child = subprocess.Popen(
        [sys.executable, "-c", script, "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or child.poll() is not None:
                    output = child.stderr.read().decode() if child.stderr else ""
                    raise AssertionError(f"serve did not start: {output}") from None
                time.sleep(0.1)
        assert health.json() == {"ok": True, "sessions": 0}
    finally:
        child.terminate()
        _, err = child.communicate(timeout=10)
    assert (tmp_path / ".agentreel" / "reel.db").exists()
    assert f"http://127.0.0.1:{port}" in err.decode()


def test_workers_without_the_server_extra_are_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The supervisor of --workers does not load the app, so it asks whether
    # each package the app needs is there (an absent one at a true edge).
    real = _serve.importlib.util.find_spec
    monkeypatch.setattr(
        _serve.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "prometheus_client" else real(name, *a),
    )
    code, out, err = _run(tmp_path / "r.db", "serve", "--workers", "2")
    assert code == 1 and out == ""
    assert err.strip() == (
        "Error: agentreel serve needs prometheus_client; "
        "install it with: pip install 'agentreel[server]'"
    )
    assert not (tmp_path / "r.db").exists()  # refused before anything was opened
