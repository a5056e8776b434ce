"""Fixtures for the guard tests: a real SQLite reel, a fake LLM server, clean hooks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests import _reel
from tests._reel import Reel

from agentreel import hooks
from agentreel.hooks import Paused
from agentreel.integrations import instrument, uninstrument
from agentreel.testing import FakeLLMServer

#: USD per 1M tokens for the made-up model the tests use: dear, so that a few
#: tokens make a visible cost ($0.001 per input token, $0.002 per output token).
PRICES = {"gpt-test": {"input": 1000.0, "output": 2000.0}}


@pytest.fixture(autouse=True)
def clean_hooks() -> Iterator[None]:
    yield from _reel.clean_hooks()


@pytest.fixture
def reel(tmp_path: Path) -> Reel:
    return Reel(tmp_path / "reel.db", prices=PRICES)


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
