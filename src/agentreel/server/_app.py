"""The app factory: a routing table of small endpoint modules, and the error policy.

Error policy: lookups that miss are 404, bad query values 400, a database
that cannot be reached 503, all as ``{"error": {"type", "message"}}``. Only
a bug is a 500.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from agentreel.errors import NotFound, StoreError
from agentreel.storage import PostgresStore, Store, open_store

from . import _control_api, _control_link, _ingest, _live_debug, _sessions, _stream, _views
from ._auth import AuthMiddleware, CsrfMiddleware
from ._headers import MetricsMiddleware, SecurityHeadersMiddleware
from ._metrics import ServerMetrics
from ._settings import ServerSettings
from ._state import JSON, AppState, error, in_thread

_POSTGRES = ("postgresql://", "postgres://")


def _open(store_or_url: Store | str | os.PathLike[str] | None) -> tuple[Store, bool]:
    if isinstance(store_or_url, str) and store_or_url.startswith(_POSTGRES):
        return PostgresStore(store_or_url), True
    if store_or_url is None or isinstance(store_or_url, (str, os.PathLike)):
        return open_store(store_or_url), True
    return store_or_url, False


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for item in exc.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "path"))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(problems) or "invalid request"


def create_app(
    store_or_url: Store | str | os.PathLike[str] | None = None,
    *,
    settings: ServerSettings | None = None,
) -> FastAPI:
    """The ``agentreel serve`` ASGI app over a store, or the store at a path or URL.

    ``None`` opens the SQLite file the SDK writes by default. A store given
    as an object stays the caller's to close; one opened here is closed when
    the app shuts down.
    """
    settings = settings or ServerSettings()
    store, owns = _open(store_or_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns:
            store.close()

    app = FastAPI(
        title="agentreel",
        summary="Recorded LLM agent sessions: OTLP ingest and a JSON API",
        openapi_url="/api/openapi.json",
        # The interactive docs pages load scripts from a CDN, which the
        # Content-Security-Policy (rightly) forbids; the schema is enough.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    metrics = ServerMetrics(store, ttl=settings.metrics_ttl)
    state = AppState(store=store, settings=settings, metrics=metrics, owns_store=owns)
    app.state.agentreel = state

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return error(404, type(exc).__name__, str(exc))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        return error(503, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return error(400, "BadRequest", _validation_message(exc))

    @app.exception_handler(OverflowError)
    async def too_big(request: Request, exc: OverflowError) -> Response:
        # A number in the path or query too large for the database: bad input.
        return error(400, "BadRequest", "a number in the request is too large")

    @app.get("/healthz", summary="Liveness and database check", include_in_schema=True)
    async def healthz() -> JSON:
        """``{"ok": true, "sessions": N}`` when the database answers."""
        count = await in_thread(store.count_sessions)
        return JSON({"ok": True, "sessions": count})

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        """Prometheus text exposition (docs/server.md lists the metrics)."""
        body = await in_thread(generate_latest, metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    for module in (_control_api, _control_link, _ingest, _live_debug, _sessions, _stream, _views):
        app.include_router(module.router)

    # Outermost last: metrics see every answer, headers go on every answer
    # (401 and 403 included), auth runs before the CSRF check.
    app.add_middleware(CsrfMiddleware)
    app.add_middleware(AuthMiddleware, state=state)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    # Last, after the API: the UI's catch-all pages must not shadow /api.
    from ._ui import mount_ui

    mount_ui(app)
    return app
