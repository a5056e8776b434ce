"""Fixtures for the server tests: a reel recorded by the SDK, the app on it,
and an in-process HTTP client (httpx over ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from agentreel.server import ServerSettings, create_app
from agentreel.storage import SQLiteStore

from ._reel import Recorded, record


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def recorded_reel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recorded]:
    """One recording for the whole run (read-only tests share it)."""
    db = tmp_path_factory.mktemp("reel") / "reel.db"
    return db, record(db)


@pytest.fixture
def ids(recorded_reel: tuple[Path, Recorded]) -> Recorded:
    return recorded_reel[1]


@pytest.fixture
def store(recorded_reel: tuple[Path, Recorded]) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(recorded_reel[0], create=False)
    yield opened
    opened.close()


@pytest.fixture
def settings() -> ServerSettings:
    return ServerSettings(metrics_ttl=0.0)


@pytest.fixture
def app(store: SQLiteStore, settings: ServerSettings) -> FastAPI:
    return create_app(store, settings=settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c
