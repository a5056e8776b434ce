"""Storage backends behind one protocol: in-memory and SQLite (WAL)."""

from ._location import DEFAULT_DB, ENV_DB, default_db_path, open_store
from ._memory import MemoryStore
from ._protocol import SessionFilter, Store, WriteBatch, load_payload
from ._sqlite import SQLiteStore

__all__ = [
    "DEFAULT_DB",
    "ENV_DB",
    "MemoryStore",
    "SQLiteStore",
    "SessionFilter",
    "Store",
    "WriteBatch",
    "default_db_path",
    "load_payload",
    "open_store",
]
