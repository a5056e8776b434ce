"""open_store: from a location string (or the environment) to a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentreel.errors import ConfigurationError, StoreUnavailable
from agentreel.storage import (
    DEFAULT_DB,
    ENV_DB,
    MemoryStore,
    SQLiteStore,
    WriteBatch,
    default_db_path,
    open_store,
)

from ._factories import Factory


def test_memory(make: Factory) -> None:
    store = open_store(":memory:")
    assert isinstance(store, MemoryStore)
    store.write(WriteBatch(sessions=[make.session()]))
    assert store.count_sessions() == 1
    # Each ":memory:" is a store of its own.
    assert open_store(":memory:").count_sessions() == 0


@pytest.mark.parametrize("as_text", [True, False])
def test_a_path(tmp_path: Path, as_text: bool) -> None:
    path = tmp_path / "dir" / "my.db"
    store = open_store(str(path) if as_text else path)
    try:
        assert isinstance(store, SQLiteStore)
        assert store.location == str(path)
        assert path.is_file()
    finally:
        store.close()


def test_a_sqlite_url(tmp_path: Path) -> None:
    path = tmp_path / "url.db"
    store = open_store(f"sqlite://{path}")
    try:
        assert isinstance(store, SQLiteStore)
        assert path.is_file()
    finally:
        store.close()


def test_the_environment_names_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Factory
) -> None:
    path = tmp_path / "from-env.db"
    monkeypatch.setenv(ENV_DB, str(path))
    assert default_db_path() == path
    store = open_store()
    try:
        assert isinstance(store, SQLiteStore)
        assert store.location == str(path)
        store.write(WriteBatch(sessions=[make.session()]))
    finally:
        store.close()
    reopened = open_store(None, create=False)
    try:
        assert reopened.count_sessions() == 1
    finally:
        reopened.close()


def test_without_the_environment_the_reel_is_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_DB, raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_db_path() == DEFAULT_DB
    store = open_store()
    try:
        assert (tmp_path / ".agentreel" / "reel.db").is_file()
    finally:
        store.close()


def test_create_false_does_not_create(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with pytest.raises(StoreUnavailable, match="agentreel demo"):
        open_store(path, create=False)
    assert not path.exists()


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "https://example.org/reel"])
def test_an_unsupported_url_scheme(url: str) -> None:
    with pytest.raises(ConfigurationError, match="unsupported store URL scheme"):
        open_store(url)
