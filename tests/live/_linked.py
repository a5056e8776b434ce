"""Real processes for the server-link tests: ``agentreel serve``, linked agents, attach.

Every one is a subprocess started here and stopped by its own pid: the
server (``agentreel serve`` on SQLite or PostgreSQL, on a free loopback
port), the agent (``linked_agent.py``, sending to a server with
``configure(endpoint=...)``), and ``agentreel attach --server``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).parents[2]
LINKED_AGENT = Path(__file__).with_name("linked_agent.py")
SERVE = (
    "import sys; from agentreel.cli._serve import serve; "
    "serve.main(sys.argv[1:], prog_name='agentreel serve')"
)
RUN_CLI = (
    "import sys\n"
    "from agentreel.cli._app import cli\n"
    "sys.exit(cli.main(sys.argv[1:], prog_name='agentreel', standalone_mode=False))\n"
)


def environ(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **extra}
    for name in ("AGENTREEL_DB", "AGENTREEL_API_KEY", "AGENTREEL_BREAK", "AGENTREEL_CONTROL"):
        if name not in extra:
            env.pop(name, None)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def serving(db: str, cwd: Path, *args: str, **env: str) -> Iterator[str]:
    """``agentreel serve --db DB`` in a child process until the block ends; yields its URL."""
    with serving_process(db, cwd, *args, **env) as (url, _):
        yield url


@contextmanager
def serving_process(
    db: str, cwd: Path, *args: str, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """:func:`serving`, yielding the server process too."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-c", SERVE, "--db", db, "--port", str(port), *args],
        cwd=cwd,
        env=environ(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or child.poll() is not None:
                    child.kill()
                    err = child.communicate(timeout=10)[1].decode()
                    raise AssertionError(f"agentreel serve did not start: {err}") from None
                time.sleep(0.05)
        yield url, child
    finally:
        if child.poll() is None:
            child.terminate()
        try:
            child.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate(timeout=10)


@dataclass
class LinkedAgent:
    """A running ``linked_agent.py`` process."""

    proc: subprocess.Popen[str]
    session_id: str = ""
    linked: bool = False

    def wait_ready(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith(("ready ", "linked no ")):
            self.proc.kill()
            err = self.proc.communicate(timeout=10)[1]
            raise AssertionError(f"the agent did not start: {line!r} {err}")
        self.linked = line.startswith("ready ")
        self.session_id = line.split()[-1]

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 20.0) -> tuple[int, list[str], str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out.splitlines(), err


def spawn_agent(server: str, home: Path, *, key: str | None = None, **env: str) -> LinkedAgent:
    extra = {"AGENTREEL_CONTROL_DIR": str(home / "ctl"), **env}
    if key is not None:
        extra["AGENT_KEY"] = key
    proc = subprocess.Popen(
        [sys.executable, str(LINKED_AGENT), server, str(home / "spool")],
        cwd=home,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ(**extra),
    )
    agent = LinkedAgent(proc)
    agent.wait_ready()
    return agent


def run_cli(home: Path, *args: str, commands: str = "", **env: str) -> subprocess.Popen[str]:
    """``agentreel ARGS`` in a child process, reading ``commands`` as its standard input."""
    typed = home / f"typed-{time.monotonic_ns()}.txt"
    typed.write_text(commands)
    with typed.open() as stdin:
        return subprocess.Popen(
            [sys.executable, "-c", RUN_CLI, *args],
            cwd=home,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ(**env),
        )


def wait_until(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {check}")


def processes(server: str, key: str | None = None) -> list[dict[str, Any]]:
    headers = {"X-Api-Key": key} if key else {}
    answer = httpx.get(f"{server}/api/control/processes", headers=headers, timeout=10)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["processes"]
    return found


def process_of(server: str, session_id: str, key: str | None = None) -> dict[str, Any] | None:
    for process in processes(server, key):
        if any(s["id"] == session_id for s in process["sessions"]):
            return process
    return None


def paused_at(server: str, session_id: str, key: str | None = None) -> list[dict[str, Any]]:
    """The steps of ``session_id`` the server knows to be paused."""
    process = process_of(server, session_id, key)
    return [] if process is None else list(process["pauses"])
