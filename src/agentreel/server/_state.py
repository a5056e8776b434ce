"""What every endpoint of one app shares, and small helpers they all use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response

from agentreel.storage import Store

from ._metrics import ServerMetrics
from ._settings import ServerSettings
from ._shapes import error_body

T = TypeVar("T")


@dataclass(slots=True, kw_only=True)
class AppState:
    """One app's store, settings and metrics, and the ingest slots in use.

    ``ingesting`` is the only in-memory state that matters, and it is meant
    to be per process: each replica bounds its own concurrent ingests.
    """

    store: Store
    settings: ServerSettings
    metrics: ServerMetrics
    owns_store: bool
    ingesting: int = 0


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.agentreel
    return state


def key_project(request: Request) -> str | None:
    """The project of the request's API key (None when the server runs without auth)."""
    project: str | None = request.scope.get("state", {}).get("agentreel_project")
    return project


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking store call in a worker thread: the event loop stays free."""
    return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))


class JSON(Response):
    """A JSON answer encoded with orjson (fast, and exact for non-string keys)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error(status: int, kind: str, message: str, **headers: str) -> JSON:
    """An error answer: ``{"error": {"type": kind, "message": message}}``."""
    return JSON(error_body(kind, message), status_code=status, headers=headers or None)
