"""Storage backends behind one protocol: in-memory, SQLite (WAL) and PostgreSQL."""

from ._live import LiveBoard, LiveProcessRow, live_board
from ._location import DEFAULT_DB, ENV_DB, default_db_path, open_store
from ._memory import MemoryStore
from ._postgres import PostgresStore
from ._protocol import (
    ORDERINGS,
    ApiKey,
    Ordering,
    SessionFilter,
    Store,
    Transaction,
    Transactional,
    WriteBatch,
    WritesMany,
    load_payload,
)
from ._sqlite import SQLiteStore

__all__ = [
    "DEFAULT_DB",
    "ENV_DB",
    "ORDERINGS",
    "ApiKey",
    "LiveBoard",
    "LiveProcessRow",
    "MemoryStore",
    "Ordering",
    "PostgresStore",
    "SQLiteStore",
    "SessionFilter",
    "Store",
    "Transaction",
    "Transactional",
    "WriteBatch",
    "WritesMany",
    "default_db_path",
    "live_board",
    "load_payload",
    "open_store",
]
