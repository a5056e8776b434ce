"""Fixtures for the guard tests: a real SQLite reel, a fake LLM server, clean hooks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.hooks import Paused
from agentreel.integrations import instrument, uninstrument
from agentreel.model import Step
from agentreel.storage import SQLiteStore
from agentreel.testing import FakeLLMServer

#: USD per 1M tokens for the made-up model the tests use: dear, so that a few
#: tokens make a visible cost ($0.001 per input token, $0.002 per output token).
PRICES = {"gpt-test": {"input": 1000.0, "output": 2000.0}}


@dataclass(frozen=True, slots=True)
class Reel:
    path: Path

    def configure(self) -> None:
        agentreel.configure(db=self.path, flush_interval=0.05, prices=PRICES)

    def record(self, run: Callable[[], Any], name: str = "run") -> str:
        """Run ``run`` in a session recorded into the reel; return the session id."""
        self.configure()
        try:
            with agentreel.session(name) as s:
                run()
        finally:
            hooks.get_manager().drain()
            agentreel.shutdown()
        return s.id

    def steps(self, session_id: str) -> list[Step]:
        store = SQLiteStore(self.path, create=False)
        try:
            return store.get_steps(session_id)
        finally:
            store.close()


@pytest.fixture(autouse=True)
def clean_hooks() -> Iterator[None]:
    hooks.reset()
    yield
    hooks.reset()
    agentreel.shutdown()


@pytest.fixture
def reel(tmp_path: Path) -> Reel:
    return Reel(tmp_path / "reel.db")


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


@pytest.fixture
def instrumented() -> Iterator[None]:
    instrument()
    yield
    uninstrument()


def settle() -> None:
    """Let the observers see every step so far (they run on their own thread)."""
    assert hooks.get_manager().drain(5.0), "the observers did not catch up within 5 s"


def resolve_next(action: str, *, input: Any = None, within: float = 5.0) -> threading.Thread:
    """On another thread: wait for the next paused step and resolve it with ``action``."""
    board = hooks.get_manager().board
    seen: list[Paused] = []

    def run() -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            paused = board.paused()
            if paused:
                seen.append(paused[0])
                board.resolve(paused[0].id, action, input=input, by="tester")
                return
            time.sleep(0.005)

    thread = threading.Thread(target=run, name=f"resolve-{action}")
    thread.start()
    return thread
