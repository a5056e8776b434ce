"""Live-debug links in the store: agent processes that poll a server, and what waits for them.

An agent whose machine accepts no inbound connection keeps its control
channel open by polling the server (``agentreel.hooks._link``). What the
server knows of such a link is kept here, in tables of the store, rather
than in a server process's memory, so that several ``agentreel serve``
processes on one PostgreSQL database work as one: the agent may poll one
while a controller talks to another.

- ``live_processes``: one row per linked agent process, its latest hello
  (sessions, pauses, breakpoints) and when it was last seen;
- ``live_controllers``: who drives each process, until when (a controller
  that stops asking expires, and the agent resumes the pauses it caused);
- ``live_requests``: requests queued by controllers, taken by the agent's
  poll, and their responses;
- ``live_events``: events the agent sent (``paused``, ``resumed``, ...).

The same SQL runs on SQLite and PostgreSQL; a store of another kind (the
memory store) gets a private in-memory SQLite database, which is right for
the one process that holds it.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from ._migrations import LIVE_TABLES_SQLITE
from ._postgres import PostgresStore
from ._sqlite import SQLiteStore

__all__ = ["LiveBoard", "LiveProcessRow", "live_board"]

#: Requests, responses and events older than this are deleted (nanoseconds).
KEEP_NS = 10 * 60 * 1_000_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveProcessRow:
    """One linked agent process as the store knows it."""

    id: str
    project: str | None
    host: str
    pid: int
    program: str
    hello: dict[str, Any]
    started_at: int
    seen_at: int
    ended_at: int | None


_PROCESS_COLUMNS = "id, project, host, pid, program, hello, started_at, seen_at, ended_at"


def _process(row: Sequence[Any]) -> LiveProcessRow:
    hello = orjson.loads(row[5])
    return LiveProcessRow(
        id=str(row[0]),
        project=row[1],
        host=str(row[2]),
        pid=int(row[3]),
        program=str(row[4]),
        hello=hello if isinstance(hello, dict) else {},
        started_at=int(row[6]),
        seen_at=int(row[7]),
        ended_at=None if row[8] is None else int(row[8]),
    )


Write = Callable[[], AbstractContextManager[Any]]
Read = Callable[[str, Sequence[Any]], list[Any]]


class LiveBoard:
    """The live-link tables of one store. Every method is one short transaction."""

    def __init__(self, write: Write, read: Read, *, placeholder: str = "?") -> None:
        self._write = write
        self._read_sql = read
        self._mark = placeholder

    def _q(self, sql: str) -> str:
        return sql if self._mark == "?" else sql.replace("?", self._mark)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._read_sql(self._q(sql), params)

    @contextmanager
    def _tx(self) -> Iterator[Callable[..., Any]]:
        with self._write() as conn:

            def run(sql: str, params: Sequence[Any] = ()) -> Any:
                return conn.execute(self._q(sql), params)

            yield run

    # -- the agent's side -------------------------------------------------------------

    def seen(
        self,
        process_id: str,
        *,
        project: str | None,
        host: str,
        pid: int,
        program: str,
        hello: dict[str, Any] | None,
        version: int = 0,
        now: int,
    ) -> bool:
        """Record that the agent polled (with its hello, when sent, numbered
        ``version``: an older one than stored is ignored); False if the id
        belongs to a process of another project."""
        with self._tx() as run:
            rows = run("SELECT project FROM live_processes WHERE id = ?", (process_id,)).fetchall()
            if rows and rows[0][0] != project:
                return False
            if not rows:
                run(
                    "INSERT INTO live_processes (id, project, host, pid, program, hello, "
                    "hello_version, started_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        process_id,
                        project,
                        host,
                        pid,
                        program,
                        _dump(hello or {}),
                        version,
                        now,
                        now,
                    ),
                )
                return True
            run("UPDATE live_processes SET seen_at = ? WHERE id = ?", (now, process_id))
            if hello is not None:
                run(
                    "UPDATE live_processes SET hello = ?, hello_version = ? "
                    "WHERE id = ? AND hello_version < ?",
                    (_dump(hello), version, process_id, version),
                )
        return True

    def ended(self, process_id: str, now: int) -> None:
        """The agent left: its controllers and unanswered requests go with it."""
        with self._tx() as run:
            run("UPDATE live_processes SET ended_at = ? WHERE id = ?", (now, process_id))
            run("DELETE FROM live_controllers WHERE process_id = ?", (process_id,))
            # Answered requests stay a while: their controllers may not have read them yet.
            run(
                "DELETE FROM live_requests WHERE process_id = ? AND response IS NULL",
                (process_id,),
            )

    def has_requests(self, process_id: str) -> bool:
        """Whether requests wait for the agent (a read: the poll asks it often)."""
        rows = self._read(
            "SELECT 1 FROM live_requests WHERE process_id = ? AND taken_at IS NULL LIMIT 1",
            (process_id,),
        )
        return bool(rows)

    def take_requests(self, process_id: str, now: int) -> list[tuple[int, str, dict[str, Any]]]:
        """Requests waiting for the agent, oldest first, marked taken: (seq, controller, body)."""
        with self._tx() as run:
            rows = run(
                "UPDATE live_requests SET taken_at = ? WHERE process_id = ? AND taken_at IS NULL "
                "RETURNING seq, controller, body",
                (now, process_id),
            ).fetchall()
        return sorted((int(s), str(c), orjson.loads(b)) for s, c, b in rows)

    def answer(
        self, process_id: str, answers: Sequence[tuple[int, dict[str, Any]]], now: int
    ) -> None:
        """Store the agent's responses to requests it took."""
        if not answers:
            return
        with self._tx() as run:
            for seq, response in answers:
                run(
                    "UPDATE live_requests SET response = ?, answered_at = ? "
                    "WHERE seq = ? AND process_id = ?",
                    (_dump(response), now, seq, process_id),
                )

    def add_events(
        self, process_id: str, events: Sequence[tuple[str | None, dict[str, Any]]], now: int
    ) -> None:
        """Store events the agent sent, in order; old ones are pruned."""
        with self._tx() as run:
            for controller, body in events:
                run(
                    "INSERT INTO live_events (process_id, controller, body, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (process_id, controller, _dump(body), now),
                )
            run("DELETE FROM live_events WHERE created_at < ?", (now - KEEP_NS,))
            run("DELETE FROM live_requests WHERE created_at < ?", (now - KEEP_NS,))
            run("DELETE FROM live_processes WHERE seen_at < ?", (now - 6 * KEEP_NS,))
            run("DELETE FROM live_controllers WHERE expires_at < ?", (now - KEEP_NS,))

    def alive_controllers(self, process_id: str, now: int) -> list[str]:
        rows = self._read(
            "SELECT controller FROM live_controllers WHERE process_id = ? AND expires_at > ?",
            (process_id, now),
        )
        return sorted(str(c) for (c,) in rows)

    # -- the controllers' side ------------------------------------------------------------

    def processes(self, *, seen_since: int) -> list[LiveProcessRow]:
        """Processes seen since ``seen_since`` that have not left, newest first."""
        rows = self._read(
            f"SELECT {_PROCESS_COLUMNS} FROM live_processes "
            "WHERE seen_at >= ? AND ended_at IS NULL ORDER BY started_at DESC, id",
            (seen_since,),
        )
        return [_process(r) for r in rows]

    def process(self, process_id: str) -> LiveProcessRow | None:
        rows = self._read(
            f"SELECT {_PROCESS_COLUMNS} FROM live_processes WHERE id = ?", (process_id,)
        )
        return _process(rows[0]) if rows else None

    def controller(
        self, process_id: str, controller: str, now: int
    ) -> tuple[str, str | None] | None:
        """The (name, label) of a controller that has not expired, or None."""
        rows = self._read(
            "SELECT name, label FROM live_controllers "
            "WHERE process_id = ? AND controller = ? AND expires_at > ?",
            (process_id, controller, now),
        )
        return (str(rows[0][0]), rows[0][1]) if rows else None

    def touch(
        self, process_id: str, controller: str, *, name: str, expires_at: int, now: int
    ) -> bool:
        """Keep a controller alive until ``expires_at``; True if it was new (or had expired)."""
        with self._tx() as run:
            rows = run(
                "SELECT expires_at FROM live_controllers WHERE process_id = ? AND controller = ?",
                (process_id, controller),
            ).fetchall()
            if rows:
                run(
                    "UPDATE live_controllers SET expires_at = ?, name = ? "
                    "WHERE process_id = ? AND controller = ?",
                    (expires_at, name, process_id, controller),
                )
                return int(rows[0][0]) <= now
            run(
                "INSERT INTO live_controllers (process_id, controller, name, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (process_id, controller, name, expires_at),
            )
            return True

    def extend(self, process_id: str, controller: str, *, expires_at: int, now: int) -> bool:
        """Keep an attached controller attached until ``expires_at``; False if it is not
        (it left, or expired). Unlike :meth:`touch`, never attaches one again: a read
        that raced with a detach must not bring the controller back."""
        with self._tx() as run:
            cursor = run(
                "UPDATE live_controllers SET expires_at = ? "
                "WHERE process_id = ? AND controller = ? AND expires_at > ?",
                (expires_at, process_id, controller, now),
            )
            return bool(cursor.rowcount)

    def set_label(self, process_id: str, controller: str, label: str) -> None:
        with self._tx() as run:
            run(
                "UPDATE live_controllers SET label = ? WHERE process_id = ? AND controller = ?",
                (label, process_id, controller),
            )

    def leave(self, process_id: str, controller: str) -> bool:
        """The controller is done: the agent drops it at its next poll. True if it was there."""
        with self._tx() as run:
            cursor = run(
                "DELETE FROM live_controllers WHERE process_id = ? AND controller = ?",
                (process_id, controller),
            )
            run(
                "DELETE FROM live_requests WHERE process_id = ? AND controller = ? "
                "AND taken_at IS NULL",
                (process_id, controller),
            )
            return bool(cursor.rowcount)

    def queue(self, process_id: str, controller: str, body: dict[str, Any], now: int) -> int:
        """Queue a request for the agent; returns its sequence number."""
        with self._tx() as run:
            ((seq,),) = run(
                "INSERT INTO live_requests (process_id, controller, body, created_at) "
                "VALUES (?, ?, ?, ?) RETURNING seq",
                (process_id, controller, _dump(body), now),
            ).fetchall()
        return int(seq)

    def response(self, seq: int) -> dict[str, Any] | None:
        """The agent's response to request ``seq``, once it came."""
        rows = self._read("SELECT response FROM live_requests WHERE seq = ?", (seq,))
        if not rows or rows[0][0] is None:
            return None
        found = orjson.loads(rows[0][0])
        return found if isinstance(found, dict) else None

    def withdraw(self, seq: int) -> None:
        """Forget a request whose controller stopped waiting (if not taken yet)."""
        with self._tx() as run:
            run("DELETE FROM live_requests WHERE seq = ? AND taken_at IS NULL", (seq,))

    def events(
        self, process_id: str, *, after: int, controller: str | None, limit: int = 500
    ) -> list[tuple[int, dict[str, Any]]]:
        """Events after sequence number ``after``: those for everyone, and ``controller``'s."""
        rows = self._read(
            "SELECT seq, body FROM live_events WHERE process_id = ? AND seq > ? "
            "AND (controller IS NULL OR controller = ?) ORDER BY seq LIMIT ?",
            (process_id, after, controller or "", limit),
        )
        return [(int(s), orjson.loads(b)) for s, b in rows]

    def last_event(self, process_id: str) -> int:
        rows = self._read(
            "SELECT COALESCE(MAX(seq), 0) FROM live_events WHERE process_id = ?", (process_id,)
        )
        return int(rows[0][0]) if rows else 0


def _dump(value: Any) -> str:
    # default=str: a hello or an event may hold values that are not JSON; say them.
    return orjson.dumps(value, default=str).decode()


class _PrivateSQLite:
    """An in-memory SQLite database for a store that has no tables of its own."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        for statement in LIVE_TABLES_SQLITE:
            self._conn.execute(statement)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()


_boards: weakref.WeakKeyDictionary[Any, LiveBoard] = weakref.WeakKeyDictionary()
_boards_lock = threading.Lock()


def live_board(store: Any) -> LiveBoard:
    """The live-link tables of ``store`` (made once per store object)."""
    with _boards_lock:
        board = _boards.get(store)
        if board is not None:
            return board
        if isinstance(store, SQLiteStore):
            board = LiveBoard(
                lambda: store._writing("updating the live links in"),
                lambda sql, params: store._all(sql, params),
            )
        elif isinstance(store, PostgresStore):
            board = LiveBoard(
                lambda: store._transaction("updating the live links in"),
                lambda sql, params: store._all(sql.encode(), params),
                placeholder="%s",
            )
        else:
            private = _PrivateSQLite()
            board = LiveBoard(private.write, private.read)
        _boards[store] = board
        return board
