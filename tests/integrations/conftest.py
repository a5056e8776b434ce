"""Fixtures for the HTTP capture tests: a fake LLM server, a real SQLite reel, instrumentation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel.integrations import instrument, uninstrument
from agentreel.model import Step
from agentreel.storage import SQLiteStore, load_payload
from agentreel.testing import FakeLLMServer

#: Prices for the made-up model names the tests use (USD per 1M tokens).
PRICES = {
    "gpt-test": {"input": 2.0, "output": 8.0, "cached_input": 0.5},
    "claude-test": {"input": 3.0, "output": 15.0, "cached_input": 0.3},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """One stored step with its input and output payloads loaded."""

    step: Step
    input: Any
    output: Any


class Reel:
    """A reader on the database the recorder writes to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = SQLiteStore(path)

    def steps(self, session_id: str) -> list[Recorded]:
        agentreel.flush()
        return [
            Recorded(
                step=s,
                input=None if s.input_ref is None else load_payload(self.store, s.input_ref),
                output=None if s.output_ref is None else load_payload(self.store, s.output_ref),
            )
            for s in self.store.get_steps(session_id)
        ]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as running:
        yield running


@pytest.fixture
def reel(tmp_path: Path) -> Iterator[Reel]:
    path = tmp_path / "reel.db"
    agentreel.configure(db=path, flush_interval=0.05, prices=PRICES)
    reader = Reel(path)
    yield reader
    agentreel.shutdown()
    reader.store.close()


@pytest.fixture
def instrumented() -> Iterator[None]:
    instrument()
    yield
    uninstrument()
