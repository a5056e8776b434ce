"""``agentreel serve``: OTLP/HTTP ingest, the JSON API, live streams and metrics.

Needs the ``server`` extra (FastAPI, uvicorn, prometheus-client)::

    from agentreel.server import ServerSettings, create_app

    app = create_app("reel.db", settings=ServerSettings(auth=True))

docs/server.md describes the options, endpoints, auth and metrics;
docs/api.md the JSON API.
"""

from ._app import create_app
from ._settings import (
    DEFAULT_HOST,
    DEFAULT_MAX_BODY,
    DEFAULT_PORT,
    ServerSettings,
    check_bind,
    is_loopback,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_BODY",
    "DEFAULT_PORT",
    "ServerSettings",
    "check_bind",
    "create_app",
    "is_loopback",
]
