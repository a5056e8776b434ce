"""Where the local reel lives, and opening a store from a location string."""

from __future__ import annotations

import os
from pathlib import Path

from agentreel.errors import ConfigurationError

from ._protocol import Store

DEFAULT_DB = Path(".agentreel") / "reel.db"
ENV_DB = "AGENTREEL_DB"


def default_db_path() -> Path:
    """``$AGENTREEL_DB`` if set, else ``./.agentreel/reel.db``."""
    env = os.environ.get(ENV_DB)
    return Path(env) if env else DEFAULT_DB


#: URL schemes of PostgreSQL, as libpq accepts them.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(location: str | os.PathLike[str] | None = None, *, create: bool = True) -> Store:
    """Open the store at ``location``.

    ``":memory:"``; a SQLite file path (or ``sqlite://PATH``); or a
    ``postgresql://`` / ``postgres://`` URL, which needs the ``postgres``
    extra. ``None`` means :func:`default_db_path`. With ``create=False`` a
    missing SQLite file is an error (``StoreUnavailable``) instead of a new
    database; a PostgreSQL database must exist, and gets its tables on first use.
    """
    from ._memory import MemoryStore
    from ._sqlite import SQLiteStore

    if location is None:
        location = default_db_path()
    text = os.fspath(location)
    if text == ":memory:":
        return MemoryStore()
    if text.startswith(POSTGRES_SCHEMES):
        from ._postgres import PostgresStore

        return PostgresStore(text)
    if "://" in text and not text.startswith("sqlite://"):
        scheme = text.split("://", 1)[0]
        raise ConfigurationError(
            f"unsupported store URL scheme {scheme!r}: use a SQLite file path, "
            "a postgresql:// URL or ':memory:'"
        )
    if text.startswith("sqlite://"):
        text = text.removeprefix("sqlite://")
    return SQLiteStore(Path(text), create=create)
