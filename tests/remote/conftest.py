"""Fixtures for the export tests: a real OTLP receiver on 127.0.0.1 and a fast RemoteStore."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentreel.remote import RemoteStore

from ._receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[..., RemoteStore]]:
    """RemoteStore factory with short backoffs; every store made is closed at the end."""
    made: list[RemoteStore] = []

    def make(endpoint: str, **kwargs: Any) -> RemoteStore:
        kwargs.setdefault("spool_dir", tmp_path / "spool")
        kwargs.setdefault("initial_backoff", 0.05)
        kwargs.setdefault("max_backoff", 0.2)
        kwargs.setdefault("idle_poll", 0.05)
        kwargs.setdefault("timeout", 2.0)
        store = RemoteStore(endpoint, **kwargs)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close(timeout=0.5)
