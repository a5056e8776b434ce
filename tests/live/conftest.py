"""Fixtures for the live tests: agent processes to pause, and a controller to steer them.

The agent (``agent.py``) runs as a real subprocess recording into a SQLite
file; the test process is the controller, through the same client that
``agentreel attach`` uses. Directories are short ones under the system temp
directory: a unix socket's path is limited to about 107 bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.hooks._client import ControlClient
from agentreel.hooks._socket import stop_control
from agentreel.model import Session, Step
from agentreel.storage import SQLiteStore, load_payload

AGENT = Path(__file__).with_name("agent.py")
ROOT = Path(__file__).parents[2]
PYTHON = sys.executable
START_TIMEOUT = 15.0


@dataclass
class Agent:
    """A running agent process (``agent.py``) and what it recorded."""

    proc: subprocess.Popen[str]
    db: Path
    session_id: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.db.parent / "control" / f"{self.proc.pid}.sock"

    def wait_ready(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("ready "), f"the agent did not start: {line!r} {self.errors()}"
        self.session_id = line.split()[1]

    def go(self) -> None:
        """Let the agent's steps run."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 15.0) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def errors(self) -> str:
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read() if self.proc.stderr is not None else ""

    def connect(self, name: str | None = "test controller") -> ControlClient:
        return ControlClient(self.socket, timeout=10.0, name=name)

    def steps(self) -> dict[tuple[str, str], Step]:
        """The recorded steps by (kind, name + input path)."""
        store = SQLiteStore(self.db, create=False)
        try:
            found = {}
            for step in store.get_steps(self.session_id):
                data = load_payload(store, step.input_ref) if step.input_ref else None
                path = data.get("path", "") if isinstance(data, dict) else ""
                found[(str(step.kind), f"{step.name} {path}".strip())] = step
            return found
        finally:
            store.close()

    def session(self) -> Session:
        store = SQLiteStore(self.db, create=False)
        try:
            return store.get_session(self.session_id)
        finally:
            store.close()

    def input_of(self, step: Step) -> Any:
        store = SQLiteStore(self.db, create=False)
        try:
            return load_payload(store, step.input_ref) if step.input_ref else None
        finally:
            store.close()


@pytest.fixture
def home() -> Iterator[Path]:
    """A short directory for a reel and its control sockets."""
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


def spawn(db: Path, **env: str) -> Agent:
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    environ.pop("AGENTREEL_CONTROL_DIR", None)
    proc = subprocess.Popen(
        [PYTHON, str(AGENT), str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    agent = Agent(proc, db)
    agent.wait_ready()
    return agent


@pytest.fixture
def agents(home: Path) -> Iterator[list[Agent]]:
    """Started agents, killed at the end of the test if still running."""
    started: list[Agent] = []
    yield started
    for agent in started:
        if agent.proc.poll() is None:
            agent.proc.kill()
        agent.proc.communicate(timeout=10)


@pytest.fixture
def agent(home: Path, agents: list[Agent]) -> Any:
    """``agent(**env)`` starts ``agent.py`` recording into ``home/reel.db``."""

    def start(**env: str) -> Agent:
        started = spawn(home / "reel.db", **env)
        agents.append(started)
        return started

    return start


@pytest.fixture(autouse=True)
def clean_hooks() -> Iterator[None]:
    hooks.reset()
    yield
    stop_control()
    hooks.reset()
    agentreel.shutdown()


def wait_until(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {check}")
