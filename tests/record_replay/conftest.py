"""Fixtures for `agentreel record` / `agentreel replay`: real processes, a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentreel.testing import FakeLLMServer

AGENT = Path(__file__).with_name("agent.py")


@dataclass(frozen=True, slots=True)
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs the ``agentreel`` command in a process of its own, on one database."""

    def __init__(self, db: Path, base_url: str) -> None:
        self.db = db
        self.base_url = base_url

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Ran:
        command = [
            sys.executable,
            "-c",
            "import sys; from agentreel.cli import main; sys.exit(main())",
            "--db",
            str(self.db),
            *args,
        ]
        base = {k: v for k, v in os.environ.items() if not k.startswith("AGENTREEL")}
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**base, "AGENT_BASE_URL": self.base_url, **(env or {})},
            timeout=60,
            check=False,
        )
        return Ran(proc.returncode, proc.stdout, proc.stderr)

    def agent(self, *args: str) -> list[str]:
        return ["--", sys.executable, str(AGENT), *args]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
def cli(tmp_path: Path, server: FakeLLMServer) -> Cli:
    return Cli(tmp_path / "reel.db", server.openai_base_url)
