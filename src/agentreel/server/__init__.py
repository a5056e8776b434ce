"""``agentreel serve``: OTLP/HTTP ingest, the JSON API, live streams and metrics.

Needs the ``server`` extra (FastAPI, uvicorn, prometheus-client)::

    from agentreel.server import ServerSettings, create_app

    app = create_app("reel.db", settings=ServerSettings(auth=True))

docs/server.md describes the options, endpoints, auth and metrics;
docs/api.md the JSON API.
"""

import typing

from ._settings import (
    DEFAULT_HOST,
    DEFAULT_MAX_BODY,
    DEFAULT_PORT,
    ServerSettings,
    check_bind,
    is_loopback,
)

if typing.TYPE_CHECKING:
    from ._app import create_app

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_BODY",
    "DEFAULT_PORT",
    "ServerSettings",
    "check_bind",
    "create_app",
    "is_loopback",
]


def __getattr__(name: str) -> typing.Any:
    # The app (FastAPI, pydantic, the routes, the OTLP protobufs: some 25 MB
    # of RSS) loads on first use of create_app. The supervisor of
    # ``agentreel serve --workers N`` needs only the settings, and every MB it
    # holds counts against the server's memory along with the workers'.
    if name == "create_app":
        from ._app import create_app

        globals()["create_app"] = create_app
        return create_app
    raise AttributeError(f"module 'agentreel.server' has no attribute {name!r}")
