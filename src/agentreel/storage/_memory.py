"""The in-memory store: the reference backend and a test double.

It keeps JSON values the way a database would (a fresh copy on every read,
tuples as lists), so code tested against it behaves the same on SQLite.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import orjson

from agentreel.errors import AmbiguousId, UnknownSession, UnknownStep
from agentreel.model import NO_USAGE, Session, SessionSummary, Status, Step, StepRow, TokenUsage

from . import _keys
from ._protocol import ApiKey, SessionFilter, WriteBatch
from ._rules import (
    blob_refs,
    blob_text,
    coalesce_sessions,
    coalesce_steps,
    dump_attributes,
    hex_prefix,
    load_json,
    not_json_safe,
    number_spans,
    replaces,
    snapshot,
)

_ERROR = Status.ERROR.value


class MemoryStore:
    """Sessions, steps and blobs in dictionaries, guarded by one lock.

    ``close()`` releases nothing and keeps the data readable, so a test can
    shut the recorder down and then inspect what it wrote.
    """

    location = ":memory:"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        # Each row is kept with its attributes as JSON bytes: encoding is cheap,
        # and decoding on every read hands out a copy no caller can mutate.
        self._steps: dict[str, dict[int, tuple[StepRow, bytes]]] = {}
        self._blobs: dict[str, bytes] = {}
        self._span_numbers: dict[str, dict[str, int]] = {}
        self._keys: dict[str, tuple[ApiKey, str]] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(sessions={len(self._sessions)}, blobs={len(self._blobs)})"

    def write(self, batch: WriteBatch) -> None:
        # Copy everything before taking the lock, so a value that is not
        # JSON-safe fails the whole batch and leaves the store untouched.
        copied = self._copied(batch)
        with self._lock:
            self._apply(copied)

    def _copied(self, batch: WriteBatch) -> _Copied:
        try:
            sessions = [
                dataclasses.replace(
                    s, tags=tuple(s.tags), metadata=snapshot(s.metadata), status=Status(s.status)
                )
                for s in coalesce_sessions(batch.sessions)
            ]
            steps = [(r, dump_attributes(r.attributes)) for r in coalesce_steps(batch.steps)]
        except orjson.JSONEncodeError as exc:
            raise not_json_safe(self.location, exc) from exc
        blobs = {d: bytes(b) for d, b in batch.blobs.items()}
        return sessions, steps, blobs

    def _apply(self, copied: _Copied) -> None:
        # Called with the lock held.
        sessions, steps, blobs = copied
        for session in sessions:
            old = self._sessions.get(session.id)
            if old is None or replaces(session.status, old.status):
                self._sessions[session.id] = session
        for entry in steps:
            row = entry[0]
            rows = self._steps.setdefault(row.session_id, {})
            prev = rows.get(row.number)
            if prev is None or replaces(row.status, prev[0].status):
                rows[row.number] = entry
        for digest, data in blobs.items():
            self._blobs.setdefault(digest, data)

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        """Ingest's read, numbering and write under the store's lock (see
        ``Transactional``); writes are applied when the block ends, and the
        numbers it handed out are taken back if it raises."""
        with self._lock:
            tx = _Transaction(self)
            try:
                yield tx
            except BaseException:
                tx.undo()
                raise
            tx.commit()

    def resolve_session_id(self, prefix: str) -> str:
        with self._lock:
            if prefix in self._sessions:
                return prefix
            wanted = hex_prefix(prefix)
            found = sorted(i for i in self._sessions if wanted and i.startswith(wanted))
        if not found:
            raise UnknownSession(prefix)
        if len(found) > 1:
            raise AmbiguousId(prefix, found)
        return found[0]

    def get_session(self, session_id: str) -> Session:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            raise UnknownSession(session_id)
        return _copy(session)

    def summarize(self, session_id: str) -> SessionSummary:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise UnknownSession(session_id)
            return self._summary(session)

    def list_sessions(self, filter: SessionFilter | None = None) -> list[SessionSummary]:
        f = filter or SessionFilter()
        needle = f.name.casefold() if f.name is not None else None
        with self._lock:
            matching = [
                self._summary(s)
                for s in self._sessions.values()
                if (needle is None or needle in s.name.casefold())
                and all(t in s.tags for t in f.tags)
                and (f.status is None or s.status == f.status)
                and (f.project is None or s.project == f.project)
                and (f.since is None or s.started_at >= f.since)
                and (f.until is None or s.started_at < f.until)
                and (f.text is None or self._mentions(s, f.text))
            ]
        key = _ORDER_KEYS[f.order_by]
        # Like the SQL stores: sessions without a key (duration while
        # running) last, whichever the direction.
        keyed = [(key(s), s) for s in matching]
        present = sorted(
            ((k, s) for k, s in keyed if k is not None),
            key=lambda e: (e[0], e[1].session.id),
            reverse=f.descending,
        )
        absent = sorted(
            (s for k, s in keyed if k is None), key=lambda s: s.session.id, reverse=f.descending
        )
        ordered = [s for _, s in present] + absent
        end = None if f.limit is None else f.offset + f.limit
        return ordered[f.offset : end]

    def _mentions(self, session: Session, text: str) -> bool:
        """Whether ``text`` is in the session's name or its steps' payloads (lock held)."""
        if text.casefold() in session.name.casefold():
            return True
        needle = text.lower()
        pending = [
            ref
            for row, _ in self._steps.get(session.id, {}).values()
            for ref in (row.input_ref, row.output_ref)
            if ref is not None
        ]
        seen: set[str] = set()
        while pending:
            digest = pending.pop()
            data = self._blobs.get(digest)
            if digest in seen or data is None:
                continue
            seen.add(digest)
            if needle in blob_text(data):
                return True
            pending += blob_refs(data)
        return False

    def count_sessions(self) -> int:
        with self._lock:
            return len(self._sessions)

    def get_steps(self, session_id: str, *, from_number: int = 1) -> list[Step]:
        with self._lock:
            rows = self._steps.get(session_id)
            if rows is None and session_id not in self._sessions:
                raise UnknownSession(session_id)
            picked = sorted(
                (e for n, e in (rows or {}).items() if n >= from_number), key=lambda e: e[0].number
            )
        return [_step(r) for r in picked]

    def get_step(self, session_id: str, number: int) -> Step:
        with self._lock:
            rows = self._steps.get(session_id)
            if rows is None and session_id not in self._sessions:
                raise UnknownSession(session_id)
            entry = (rows or {}).get(number)
            if entry is None:
                raise UnknownStep(session_id, number, max(rows or (0,)))
        return _step(entry)

    def get_blobs(self, digests: Collection[str]) -> dict[str, bytes]:
        with self._lock:
            blobs = self._blobs
            return {d: blobs[d] for d in digests if d in blobs}

    def assign_step_numbers(self, session_id: str, span_ids: Sequence[str]) -> dict[str, int]:
        with self._lock:
            return self._assign(session_id, span_ids)

    def _assign(self, session_id: str, span_ids: Sequence[str]) -> dict[str, int]:
        # Called with the lock held.
        assigned = self._span_numbers.setdefault(session_id, {})
        rows = self._steps.get(session_id, {})
        known: dict[str, int] = {}
        for number, (row, _) in sorted(rows.items(), reverse=True):
            known[row.span_id] = number  # the lowest number wins, as in SQL
        known.update(assigned)  # and a number handed out before wins over both
        highest = max((*assigned.values(), *rows, 0))
        numbers, new = number_spans(span_ids, known, highest)
        assigned.update(new)
        return numbers

    def create_api_key(self, project: str, name: str) -> tuple[str, str]:
        new = _keys.new_key(project, name)
        with self._lock:
            self._keys[new.key.id] = (new.key, new.secret_hash)
        return new.key.id, new.secret

    def check_api_key(self, secret: str) -> str | None:
        key_id = _keys.key_id_of(secret)
        with self._lock:
            entry = self._keys.get(key_id or "")
        if entry is None or entry[0].revoked_at is not None:
            return None
        return entry[0].project if _keys.secret_matches(secret, entry[1]) else None

    def revoke_api_key(self, key_id: str) -> bool:
        with self._lock:
            entry = self._keys.get(key_id)
            if entry is None:
                return False
            key, secret_hash = entry
            if key.revoked_at is None:
                key = dataclasses.replace(key, revoked_at=time.time_ns())
                self._keys[key_id] = (key, secret_hash)
            return True

    def list_api_keys(self) -> list[ApiKey]:
        with self._lock:
            keys = [key for key, _ in self._keys.values()]
        return sorted(keys, key=lambda k: (k.created_at, k.id))

    def close(self) -> None:
        """Nothing to release; the data stays readable."""

    def _summary(self, session: Session) -> SessionSummary:
        # Called with the lock held.
        rows = [e[0] for e in self._steps.get(session.id, {}).values()]
        usage = NO_USAGE
        cost = 0.0
        errors = 0
        last: int | None = None
        for r in rows:
            usage = usage + TokenUsage(
                input=r.tokens_in,
                output=r.tokens_out,
                cached=r.tokens_cached,
                reasoning=r.tokens_reasoning,
            )
            cost += r.cost or 0.0
            errors += r.status == _ERROR
            seen = r.ended_at if r.ended_at is not None else r.started_at
            last = seen if last is None else max(last, seen)
        return SessionSummary(
            session=_copy(session),
            step_count=len(rows),
            error_count=errors,
            usage=usage,
            cost=cost,
            last_step_at=last,
        )


class _Transaction:
    """What ingest does in one transaction of a :class:`MemoryStore` (its lock held).

    Writes take effect at commit, so reads and numbering later in the same
    transaction do not see them (the SQL stores' do); ingest reads and
    numbers before it writes.
    """

    __slots__ = ("_numbered", "_store", "_writes")

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._writes: list[_Copied] = []
        #: Each numbered session's assignments before this transaction (None: it had none).
        self._numbered: dict[str, dict[str, int] | None] = {}

    def get_sessions(self, session_ids: Collection[str]) -> dict[str, Session]:
        found = self._store._sessions
        return {sid: _copy(found[sid]) for sid in session_ids if sid in found}

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        store = self._store
        out = {}
        for sid, ids in span_ids.items():
            if not ids:
                continue
            if sid not in self._numbered:
                before = store._span_numbers.get(sid)
                self._numbered[sid] = None if before is None else dict(before)
            out[sid] = store._assign(sid, ids)
        return out

    def write(self, batch: WriteBatch) -> None:
        self._writes.append(self._store._copied(batch))

    def commit(self) -> None:
        for copied in self._writes:
            self._store._apply(copied)

    def undo(self) -> None:
        numbers = self._store._span_numbers
        for sid, before in self._numbered.items():
            if before is None:
                numbers.pop(sid, None)
            else:
                numbers[sid] = before


def _copy(session: Session) -> Session:
    """A session to hand out: its metadata is not the stored one."""
    return dataclasses.replace(session, metadata=snapshot(session.metadata))


_Copied = tuple[list[Session], list[tuple[StepRow, bytes]], dict[str, bytes]]


def _duration(s: SessionSummary) -> int | None:
    ended = s.session.ended_at
    return None if ended is None else ended - s.session.started_at


_ORDER_KEYS: dict[str, Callable[[SessionSummary], Any]] = {
    "started": lambda s: s.session.started_at,
    "duration": _duration,
    "steps": lambda s: s.step_count,
    "tokens": lambda s: s.usage.total,
    "cost": lambda s: s.cost,
    "name": lambda s: s.session.name.casefold(),
}


def _step(entry: tuple[StepRow, bytes]) -> Step:
    row, attributes = entry
    return Step.from_row(row._replace(attributes=load_json(attributes)))
