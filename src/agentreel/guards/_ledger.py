"""What has been spent: per session, per UTC day (read from the store), and in flight.

The ledger is shared by the agent's threads (reserving before a call) and
the observers' thread (settling when a call ends), so every change happens
under one lock. A reservation stays until the step's end event settles it:
between a call's start and the moment its real cost is known, the estimate
counts, so calls made at the same time cannot all slip under a limit.

The day's spending of other sessions (other processes, earlier runs) comes
from the store, as the summaries of the sessions that started since
midnight UTC, read at first use and again every ``refresh`` seconds. A
session this process also observes counts once, at the larger of the two
figures: the store lags behind the observers by the writer's flush
interval, and the observers miss what was spent before the guard was
registered.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from agentreel.storage import SessionFilter, Store

__all__ = ["Ledger", "Position", "Spend", "utc_day"]


@dataclass(frozen=True, slots=True)
class Spend:
    """Money (USD) and tokens."""

    cost: float = 0.0
    tokens: int = 0

    def __add__(self, other: Spend) -> Spend:
        return Spend(self.cost + other.cost, self.tokens + other.tokens)

    def most(self, other: Spend) -> Spend:
        return Spend(max(self.cost, other.cost), max(self.tokens, other.tokens))


_NONE = Spend()


@dataclass(frozen=True, slots=True)
class Position:
    """Where a session and the day stand when a call asks to be admitted."""

    #: Spent by this session's ended calls, and reserved by its calls in flight.
    session: Spend
    session_inflight: Spend
    #: Spent today (UTC) by every session, and reserved by every call in flight.
    day: Spend
    day_inflight: Spend


def utc_day(now: float | None = None) -> datetime.date:
    """Today's date in UTC (or that of ``now``, seconds since the epoch)."""
    moment = time.time() if now is None else now
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).date()


def _midnight_ns(day: datetime.date) -> int:
    start = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)
    return int(start.timestamp()) * 1_000_000_000


class Ledger:
    """Spending by session, by day, and reserved for calls in flight."""

    def __init__(self, *, store: Callable[[], Store | None] | None, refresh: float) -> None:
        self._store = store
        self._refresh = refresh
        self._lock = threading.Lock()
        self._sessions: dict[str, Spend] = {}
        self._inflight: dict[tuple[str, int], Spend] = {}
        self._day: datetime.date | None = None
        self._today: dict[str, Spend] = {}
        self._stored: dict[str, Spend] = {}
        self._read_at = -float("inf")
        #: Why the store could not be read, the last time it was not.
        self.store_error: str | None = None

    # -- reading ---------------------------------------------------------------

    def _roll(self) -> None:
        day = utc_day()
        if day != self._day:
            self._day = day
            self._today = {}
            self._stored = {}
            self._read_at = -float("inf")

    def _read_store(self) -> None:
        if self._store is None or time.monotonic() - self._read_at < self._refresh:
            return
        self._read_at = time.monotonic()
        store = self._store()
        if store is None:
            return
        assert self._day is not None  # _roll ran first
        summaries = store.list_sessions(
            SessionFilter(since=_midnight_ns(self._day), limit=None, order_by="started")
        )
        self._stored = {s.session.id: Spend(s.cost, s.usage.total) for s in summaries}

    def _position(self, session_id: str) -> Position:
        self._roll()
        self._read_store()
        session = self._sessions.get(session_id, _NONE)
        stored_here = self._stored.get(session_id)
        if stored_here is not None:
            session = session.most(stored_here)
        day = _NONE
        for sid in self._stored.keys() | self._today.keys():
            day = day + self._stored.get(sid, _NONE).most(self._today.get(sid, _NONE))
        mine = everyone = _NONE
        for (sid, _), spend in self._inflight.items():
            everyone = everyone + spend
            if sid == session_id:
                mine = mine + spend
        return Position(session=session, session_inflight=mine, day=day, day_inflight=everyone)

    def admit(
        self,
        key: tuple[str, int],
        parent: tuple[str, int],
        estimate: Spend,
        check: Callable[[Position, Spend], str | None],
    ) -> str | None:
        """Reserve ``estimate`` for the call ``key`` unless ``check`` objects; its objection.

        ``check(position, estimate)`` sees this session's spending, today's,
        and what calls in flight have reserved, and returns a reason to refuse
        or None. Checking and reserving happen under one
        lock, so concurrent calls are admitted one at a time. The reservation
        stays until :meth:`settle`. A model call made inside another one (a
        decorated ``@llm`` function calling the openai client) takes over its
        parent's reservation rather than adding a second estimate of one call.
        Store errors propagate: a guard that cannot read what was spent today
        fails closed.
        """
        with self._lock:
            held = self._inflight.pop(parent, None)
            refusal = check(self._position(key[0]), estimate)
            if refusal is None:
                self._inflight[key] = estimate
            elif held is not None:
                self._inflight[parent] = held
            return refusal

    # -- writing ---------------------------------------------------------------

    def settle(self, key: tuple[str, int], spent: Spend | None) -> None:
        """The call ``key`` ended having spent ``spent`` (None: it was not a model call)."""
        with self._lock:
            self._inflight.pop(key, None)
            if spent is None or (spent.cost <= 0 and spent.tokens <= 0):
                return
            self._roll()
            sid = key[0]
            self._sessions[sid] = self._sessions.get(sid, _NONE) + spent
            self._today[sid] = self._today.get(sid, _NONE) + spent

    def forget(self, session_id: str) -> None:
        """Drop a finished session's own figure (its share of the day is kept)."""
        with self._lock:
            self._sessions.pop(session_id, None)
            for key in [k for k in self._inflight if k[0] == session_id]:
                del self._inflight[key]
