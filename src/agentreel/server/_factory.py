"""Building the app inside each uvicorn worker process (``agentreel serve --workers N``).

uvicorn starts workers from an import string, so the parent hands the
database location and the settings over in one environment variable.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

import orjson

from ._settings import ServerSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

ENV_CONFIG = "AGENTREEL_SERVE_CONFIG"
#: What uvicorn imports in each worker.
FACTORY = "agentreel.server._factory:app_from_env"


def config_env(db: str, settings: ServerSettings) -> str:
    """The value of :data:`ENV_CONFIG` for a server on ``db`` with ``settings``."""
    return orjson.dumps({"db": db, "settings": dataclasses.asdict(settings)}).decode()


def app_from_env() -> FastAPI:
    """The app described by :data:`ENV_CONFIG` (set by ``agentreel serve``)."""
    # Imported here: the supervisor imports this module for FACTORY and
    # config_env, and must not load the app it never serves.
    from ._app import create_app

    config: dict[str, Any] = orjson.loads(os.environ[ENV_CONFIG])
    return create_app(config["db"], settings=ServerSettings(**config["settings"]))
