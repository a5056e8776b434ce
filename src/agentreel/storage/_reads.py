"""The reads SQLite and PostgreSQL answer alike: the same queries, each in its own dialect."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from types import ModuleType
from typing import Any

from agentreel.errors import UnknownSession, UnknownStep
from agentreel.model import Session, SessionSummary, Step

from . import _listing, _rows
from ._protocol import SessionFilter

__all__ = ["SqlReads"]

_SESSION_COLUMNS = ", ".join(_rows.SESSION_COLUMNS)
#: Ids per ``IN (...)`` query; well under every driver's parameter limit.
_CHUNK = 500


class SqlReads:
    """Session and step reads over ``_all``; a backend names its SQL module in ``_sql``."""

    #: The backend's statements (``_sql`` or ``_pg_sql``): the same names in both.
    _sql: ModuleType

    def _all(self, sql: Any, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _built(self, sql: str) -> Any:
        """A query built at run time, in the form the driver takes."""
        return sql

    def get_session(self, session_id: str) -> Session:
        rows = self._all(self._sql.SELECT_SESSION, (session_id,))
        if not rows:
            raise UnknownSession(session_id)
        return _rows.session_from(rows[0])

    def get_sessions(self, session_ids: Collection[str]) -> dict[str, Session]:
        """The sessions among ``session_ids`` that the store has, by id (one query
        per 500 ids: ingest asks about every session of a request at once)."""
        wanted = list(dict.fromkeys(session_ids))
        found: dict[str, Session] = {}
        mark = self._sql.DIALECT.mark
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join([mark] * len(chunk))
            sql = f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id IN ({marks})"
            for row in self._all(self._built(sql), chunk):
                session = _rows.session_from(row)
                found[session.id] = session
        return found

    def summarize(self, session_id: str) -> SessionSummary:
        sql, params = _listing.summary_query(session_id, self._sql.DIALECT)
        rows = self._all(self._built(sql), params)
        if not rows:
            raise UnknownSession(session_id)
        return _rows.summary_from(rows[0])

    def list_sessions(self, filter: SessionFilter | None = None) -> list[SessionSummary]:
        sql, params = _listing.list_query(filter or SessionFilter(), self._sql.DIALECT)
        return [_rows.summary_from(r) for r in self._all(self._built(sql), params)]

    def count_sessions(self) -> int:
        return int(self._all(self._sql.COUNT_SESSIONS)[0][0])

    def get_steps(self, session_id: str, *, from_number: int = 1) -> list[Step]:
        rows = self._all(self._sql.SELECT_STEPS, (session_id, from_number))
        if not rows:
            self._highest_step(session_id)  # raises UnknownSession for an unknown id
        return [_rows.step_from(r) for r in rows]

    def get_step_rows(
        self, session_id: str, *, from_number: int = 1, limit: int | None = None
    ) -> list[Sequence[Any]]:
        """Steps as the database holds them, for answers that only re-encode them.

        Each row is the session id followed by ``_rows.STEP_COLUMNS``, with the
        attributes as their stored JSON bytes (not decoded) and the error as
        its stored JSON text or None. At most ``limit`` steps, in number order,
        from ``from_number``. Decoding 10,000 steps into :class:`Step` objects
        only for the API to encode them again was most of the time it took to
        answer a session's step listing.
        """
        if limit is None:
            rows = self._all(self._sql.SELECT_STEPS, (session_id, from_number))
        else:
            rows = self._all(self._sql.SELECT_STEP_PAGE, (session_id, from_number, limit))
        if not rows:
            self._highest_step(session_id)  # raises UnknownSession for an unknown id
        return rows

    def get_replay_rows(self, session_id: str) -> list[Sequence[Any]]:
        """What replay needs of every step of a session, in number order.

        Each row is ``(number, parent_number, kind, name, ended, attributes,
        input_ref, output_ref, error)``: ``ended`` is whether the status is
        not running, the attributes are their stored JSON bytes and the error
        its stored JSON text or None (see :meth:`get_step_rows`). Loading a
        recording reads every step; the other columns, converted into Python
        objects row by row, were about two thirds of the time reading took.
        """
        rows = self._all(self._sql.SELECT_REPLAY_STEPS, (session_id,))
        if not rows:
            self._highest_step(session_id)  # raises UnknownSession for an unknown id
        return rows

    def get_step_parents(self, session_id: str) -> list[tuple[int, int | None]]:
        """``(number, parent_number)`` of every step of the session, in number order."""
        rows = self._all(self._sql.STEP_PARENTS, (session_id,))
        if not rows:
            self._highest_step(session_id)  # raises UnknownSession for an unknown id
        return [(n, p) for n, p in rows]

    def get_step(self, session_id: str, number: int) -> Step:
        rows = self._all(self._sql.SELECT_STEP, (session_id, number))
        if not rows:
            raise UnknownStep(session_id, number, self._highest_step(session_id))
        return _rows.step_from(rows[0])

    def _highest_step(self, session_id: str) -> int:
        """The highest step number of a known session (0 without steps)."""
        ((count, highest),) = self._all(self._sql.STEP_RANGE, (session_id,))
        if not count and not self._all(self._sql.SESSION_EXISTS, (session_id,)):
            raise UnknownSession(session_id)
        return int(highest or 0)
