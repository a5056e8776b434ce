"""The PostgreSQL schema, as an ordered list of migrations.

Applied like the SQLite ones (see ``_migrations``): the versions a database
has are rows of ``agentreel_migrations``; opening a store applies the missing
ones in one transaction, and refuses a database from a newer agentreel. An
advisory lock keeps two server processes starting at once from migrating the
same schema twice.

Tables live in the connection's current schema (the first of its
``search_path``), so one database can hold several reels side by side.

Never edit a migration that has shipped: append a new one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from agentreel.errors import StoreUnavailable

from ._migrations import MIGRATIONS_TABLE, Migration, pending

if TYPE_CHECKING:
    import psycopg

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        name="sessions, steps, blobs, step numbers of ingested spans, API keys",
        statements=(
            # Ids and folded names sort by code point ("C"), as on SQLite and
            # in Python, whatever the database's collation; it also lets the
            # primary key index answer id prefix ranges.
            """
            CREATE TABLE sessions (
                id TEXT COLLATE "C" PRIMARY KEY,
                name TEXT NOT NULL,
                name_folded TEXT COLLATE "C" NOT NULL,
                project TEXT NOT NULL,
                tags JSONB NOT NULL,
                -- JSON text, not JSONB: JSONB would reorder keys and turn
                -- floats into numerics that do not read back the same.
                metadata TEXT NOT NULL,
                status TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                ended_at BIGINT,
                error TEXT,
                forked_from_session TEXT,
                forked_from_step INTEGER,
                parent_span_id TEXT,
                trace_id TEXT
            )
            """,
            "CREATE INDEX sessions_by_start ON sessions (started_at, id)",
            "CREATE INDEX sessions_by_project ON sessions (project, started_at, id)",
            "CREATE INDEX sessions_by_tags ON sessions USING GIN (tags jsonb_path_ops)",
            """
            CREATE TABLE steps (
                session_id TEXT COLLATE "C" NOT NULL,
                number INTEGER NOT NULL,
                span_id TEXT NOT NULL,
                parent_number INTEGER,
                parent_span_id TEXT,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                ended_at BIGINT,
                attributes BYTEA NOT NULL,
                model TEXT,
                tokens_in BIGINT NOT NULL,
                tokens_out BIGINT NOT NULL,
                tokens_cached BIGINT NOT NULL,
                tokens_reasoning BIGINT NOT NULL,
                cost DOUBLE PRECISION,
                input_ref TEXT COLLATE "C",
                output_ref TEXT COLLATE "C",
                error TEXT,
                PRIMARY KEY (session_id, number)
            )
            """,
            # Ingest asks which spans a session already numbered.
            "CREATE INDEX steps_by_span ON steps (session_id, span_id)",
            """
            CREATE TABLE blobs (
                digest TEXT COLLATE "C" PRIMARY KEY,
                -- A blob that is UTF-8 text (every payload blob is JSON) is
                -- kept as text, which the payload search reads; any other
                -- bytes as bytes.
                text TEXT,
                data BYTEA,
                CHECK ((text IS NULL) <> (data IS NULL))
            )
            """,
            """
            CREATE TABLE step_counters (
                -- One row per session that had numbers assigned: the highest
                -- handed out. Assigning locks this row, so two server
                -- processes never hand out one number twice.
                session_id TEXT COLLATE "C" PRIMARY KEY,
                highest INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE span_numbers (
                session_id TEXT COLLATE "C" NOT NULL,
                span_id TEXT NOT NULL,
                number INTEGER NOT NULL,
                PRIMARY KEY (session_id, span_id)
            )
            """,
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                project TEXT NOT NULL,
                name TEXT NOT NULL,
                secret_sha256 TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
        ),
    ),
    Migration(
        version=2,
        name="live-debug links of agent processes",
        statements=(
            """
            CREATE TABLE live_processes (
                id TEXT PRIMARY KEY,
                project TEXT,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                program TEXT NOT NULL,
                hello TEXT NOT NULL,
                hello_version BIGINT NOT NULL DEFAULT 0,
                started_at BIGINT NOT NULL,
                seen_at BIGINT NOT NULL,
                ended_at BIGINT
            )
            """,
            """
            CREATE TABLE live_controllers (
                process_id TEXT NOT NULL,
                controller TEXT NOT NULL,
                name TEXT NOT NULL,
                label TEXT,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (process_id, controller)
            )
            """,
            """
            CREATE TABLE live_requests (
                seq BIGSERIAL PRIMARY KEY,
                process_id TEXT NOT NULL,
                controller TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                taken_at BIGINT,
                response TEXT,
                answered_at BIGINT
            )
            """,
            "CREATE INDEX live_requests_waiting ON live_requests (process_id, taken_at)",
            """
            CREATE TABLE live_events (
                seq BIGSERIAL PRIMARY KEY,
                process_id TEXT NOT NULL,
                controller TEXT,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX live_events_by_process ON live_events (process_id, seq)",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version

#: Tables of ours; finding one in a schema without our migrations table means
#: the schema belongs to another program.
_OURS = ("sessions", "steps", "blobs", "api_keys")


def migrate(conn: psycopg.Connection[tuple[Any, ...]], location: str) -> None:
    """Bring the current schema on ``conn`` up to :data:`LATEST`, and commit."""
    with conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('agentreel migrations ' || current_schema()))"
        )
        for migration in pending(MIGRATIONS, _current_version(conn, location), location):
            for statement in migration.statements:
                conn.execute(statement.encode())
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (%s, %s, %s)",
                (migration.version, migration.name, time.time_ns()),
            )


def _current_version(conn: psycopg.Connection[tuple[Any, ...]], location: str) -> int:
    ((schema,),) = conn.execute("SELECT current_schema()").fetchall()
    if schema is None:
        raise StoreUnavailable(
            location,
            "its search_path names no schema that exists; create the schema "
            "or fix search_path in the URL",
        )
    found: set[str] = {
        name
        for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    }
    if MIGRATIONS_TABLE not in found:
        if found & set(_OURS):
            raise StoreUnavailable(
                location,
                f"schema {schema!r} has tables named like agentreel's ("
                f"{', '.join(sorted(found & set(_OURS)))}) but is not an agentreel reel; "
                "use another database, or another schema (options=-csearch_path=NAME in the URL)",
            )
        conn.execute(
            f"CREATE TABLE {MIGRATIONS_TABLE} ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        return 0
    ((version,),) = conn.execute(
        f"SELECT COALESCE(MAX(version), 0) FROM {MIGRATIONS_TABLE}"
    ).fetchall()
    return int(version)
