"""Where a replay reads its recording from, and where it records the run."""

from __future__ import annotations

import dataclasses
import os

from agentreel.recording import Recorder
from agentreel.reelfile import import_reel
from agentreel.storage import MemoryStore, Store, default_db_path, open_store

_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where to record the replayed run if agentreel is not configured."""

    store: Store | None = None
    db: str | None = None


def open_source(
    store: Store | None, db: str | os.PathLike[str] | None, rec: Recorder | None
) -> tuple[Store, Target, bool]:
    """The store to read the recording from, where to record the run, and
    whether the store is ours to close."""
    if store is not None:
        return store, Target(store=store), False
    if db is None and rec is not None:
        return rec.store, Target(), False
    path = os.fspath(db if db is not None else default_db_path())
    if _is_reel_file(path):
        memory = MemoryStore()
        import_reel(memory, path)
        return memory, Target(db=os.fspath(default_db_path())), False
    return open_store(path, create=False), Target(db=path), True


def _is_reel_file(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError:
        return False  # opening the store says what is wrong, in the store's words
    return head != _SQLITE_MAGIC and (
        head.startswith(b"\x1f\x8b") or head.lstrip().startswith((b"{", b"\xef\xbb\xbf{"))
    )
