"""The SQLite schema, as an ordered list of migrations, and the rules of migrating.

Both SQL backends keep their schema as a list of :class:`Migration` and apply
it the same way (:func:`pending`); the PostgreSQL list is in ``_pg_schema``.
A database records each migration it has applied in ``agentreel_migrations``.
Opening a database applies the missing ones in order, in one transaction; a
database that has applied a version this code does not know was written by a
newer agentreel and is refused (``SchemaTooNew``) rather than misread.

Never edit a migration that has shipped: append a new one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from agentreel.errors import SchemaTooNew, StoreUnavailable

MIGRATIONS_TABLE = "agentreel_migrations"

#: The live-debug link's tables (``_live``): agent processes that poll a
#: server, their controllers, the requests queued for them and the events
#: they sent. In the store, not in a server's memory, so that every server
#: process on one database sees the same links.
LIVE_TABLES_SQLITE: tuple[str, ...] = (
    """
    CREATE TABLE live_processes (
        id TEXT PRIMARY KEY,
        -- The project of the agent's API key (NULL: the server ran without auth).
        project TEXT,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        program TEXT NOT NULL,
        -- The process's latest hello (sessions, pauses, breakpoints), as JSON,
        -- and its number: a poll and a push may arrive out of order, and an
        -- older hello must not replace a newer one.
        hello TEXT NOT NULL,
        hello_version INTEGER NOT NULL DEFAULT 0,
        started_at INTEGER NOT NULL,
        seen_at INTEGER NOT NULL,
        ended_at INTEGER
    )
    """,
    """
    CREATE TABLE live_controllers (
        process_id TEXT NOT NULL,
        controller TEXT NOT NULL,
        name TEXT NOT NULL,
        label TEXT,
        -- A controller that stops asking is gone once this passes: the agent
        -- then resumes the pauses it caused, as when a local socket closes.
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (process_id, controller)
    )
    """,
    """
    CREATE TABLE live_requests (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        process_id TEXT NOT NULL,
        controller TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        taken_at INTEGER,
        response TEXT,
        answered_at INTEGER
    )
    """,
    "CREATE INDEX live_requests_waiting ON live_requests (process_id, taken_at)",
    """
    CREATE TABLE live_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        process_id TEXT NOT NULL,
        -- NULL: for every controller; else only for this one (step events of a watcher).
        controller TEXT,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
    )
    """,
    "CREATE INDEX live_events_by_process ON live_events (process_id, seq)",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        name="sessions, steps and blobs",
        statements=(
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                -- casefolded name, because SQLite's lower() only folds ASCII
                name_folded TEXT NOT NULL,
                project TEXT NOT NULL,
                tags TEXT NOT NULL,
                metadata TEXT NOT NULL,
                status TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                ended_at INTEGER,
                error TEXT,
                forked_from_session TEXT,
                forked_from_step INTEGER,
                parent_span_id TEXT
            )
            """,
            "CREATE INDEX sessions_by_start ON sessions (started_at, id)",
            "CREATE INDEX sessions_by_project ON sessions (project, started_at, id)",
            """
            CREATE TABLE session_keys (
                -- Steps refer to their session by this small integer rather
                -- than the 32-digit id: it keeps the steps' primary key index
                -- small, a tenth of what a recorded step costs to insert. A
                -- step may arrive before its session, so the key is not a
                -- column of sessions.
                key INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE
            )
            """,
            """
            CREATE TABLE steps (
                session_key INTEGER NOT NULL REFERENCES session_keys (key),
                number INTEGER NOT NULL,
                span_id TEXT NOT NULL,
                parent_number INTEGER,
                parent_span_id TEXT,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                ended_at INTEGER,
                -- JSON as bytes: the recorder hands them over encoded, and
                -- decoding to text only to store them costs a copy per step.
                attributes BLOB NOT NULL,
                model TEXT,
                tokens_in INTEGER NOT NULL,
                tokens_out INTEGER NOT NULL,
                tokens_cached INTEGER NOT NULL,
                tokens_reasoning INTEGER NOT NULL,
                cost REAL,
                input_ref TEXT,
                output_ref TEXT,
                error TEXT,
                PRIMARY KEY (session_key, number)
            )
            """,
            """
            CREATE TABLE blobs (
                digest TEXT PRIMARY KEY,
                bytes BLOB NOT NULL
            ) WITHOUT ROWID
            """,
        ),
    ),
    Migration(
        version=2,
        name="trace id of sessions that joined a host trace",
        statements=("ALTER TABLE sessions ADD COLUMN trace_id TEXT",),
    ),
    Migration(
        version=3,
        name="step numbers of ingested spans, API keys",
        statements=(
            """
            CREATE TABLE span_numbers (
                -- Numbers handed out to spans that arrived without one. A
                -- span's step row may come later, or never (a parent that
                -- was not exported), so this is not a column of steps.
                session_key INTEGER NOT NULL REFERENCES session_keys (key),
                span_id TEXT NOT NULL,
                number INTEGER NOT NULL,
                PRIMARY KEY (session_key, span_id)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX span_numbers_by_number ON span_numbers (session_key, number)",
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                project TEXT NOT NULL,
                name TEXT NOT NULL,
                secret_sha256 TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            )
            """,
        ),
    ),
    Migration(
        version=4,
        name="live-debug links of agent processes",
        statements=LIVE_TABLES_SQLITE,
    ),
)

LATEST = MIGRATIONS[-1].version


def migrate(conn: sqlite3.Connection, location: str) -> None:
    """Bring the database on ``conn`` up to :data:`LATEST`.

    ``conn`` must be in autocommit mode. ``BEGIN IMMEDIATE`` takes the write
    lock first, so two processes opening a new file at once do not both try
    to create the tables.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        for migration in pending(MIGRATIONS, _current_version(conn, location), location):
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time_ns()),
            )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def pending(migrations: Sequence[Migration], current: int, location: str) -> list[Migration]:
    """The migrations a database at version ``current`` still needs, in order.

    Raises ``SchemaTooNew`` for a database written by a newer agentreel.
    """
    latest = migrations[-1].version
    if current > latest:
        raise SchemaTooNew(location, current, latest)
    return [m for m in migrations if m.version > current]


def _current_version(conn: sqlite3.Connection, location: str) -> int:
    tables = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    if MIGRATIONS_TABLE not in tables:
        if tables:
            # Someone else's database: adding our tables to it would be rude.
            raise StoreUnavailable(
                location,
                "it is a SQLite database, but not an agentreel one (it has tables of its own); "
                "point agentreel at another file",
            )
        conn.execute(
            f"CREATE TABLE {MIGRATIONS_TABLE} ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        return 0
    (version,) = conn.execute(
        f"SELECT COALESCE(MAX(version), 0) FROM {MIGRATIONS_TABLE}"
    ).fetchone()
    return int(version)
