"""Step numbers for spans that came without one, and the transaction ingest writes in.

A store that offers ``transaction()`` (``storage.Transactional``) reads the
request's sessions, numbers its spans and writes its rows in one
transaction; any other store is asked through the ``Store`` protocol, one
transaction per call, under ingest's own per-store lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from agentreel.errors import UnknownSession
from agentreel.model import Session
from agentreel.storage import Store, Transaction, WriteBatch

from ._steps import StepDraft

if TYPE_CHECKING:
    from ._ingest import _Group

__all__ = ["existing", "numbers", "transaction"]


def transaction(store: Store) -> AbstractContextManager[Transaction]:
    """The store's own transaction, or one made of its protocol methods."""
    begin = getattr(store, "transaction", None)
    if begin is not None:
        tx: AbstractContextManager[Transaction] = begin()
        return tx
    return _separate(store)


@contextlib.contextmanager
def _separate(store: Store) -> Iterator[Transaction]:
    yield _Separate(store)


class _Separate:
    """A :class:`Transaction` whose every call is a transaction of its own."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def get_sessions(self, session_ids: Collection[str]) -> dict[str, Session]:
        return existing(self._store, session_ids)

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        store = self._store
        many = getattr(store, "assign_step_numbers_many", None)
        if many is not None:
            assigned: dict[str, dict[str, int]] = many(span_ids)
            return assigned
        # A store that numbers one session per call.
        return {sid: store.assign_step_numbers(sid, ids) for sid, ids in span_ids.items() if ids}

    def write(self, batch: WriteBatch) -> None:
        self._store.write(batch)


def existing(store: Store, ids: Collection[str]) -> dict[str, Session]:
    """The stored sessions among ``ids`` (one query, where the store offers it)."""
    many = getattr(store, "get_sessions", None)
    if many is not None:
        found: dict[str, Session] = many(ids)
        return found
    sessions = {}
    for sid in ids:
        try:
            sessions[sid] = store.get_session(sid)
        except UnknownSession:
            pass
    return sessions


def numbers(
    tx: Transaction, groups: list[_Group], owner: Mapping[str, str]
) -> dict[str, dict[str, int]]:
    """Step numbers of each session's spans (by session id), asked of the store at once."""
    given: dict[str, dict[str, int]] = {}
    wanted: dict[str, list[str]] = {}
    for group in groups:
        sid = group.draft.id
        given[sid], order = _order(group, owner)
        if order:
            wanted[sid] = order
    if wanted:
        for sid, numbered in tx.assign_step_numbers_many(wanted).items():
            given[sid].update(numbered)
    return given


def _order(group: _Group, owner: Mapping[str, str]) -> tuple[dict[str, int], list[str]]:
    """Step numbers of the session's spans that came with one, and the span ids
    to number, in the order they are to be numbered.

    Spans are numbered in start order, each after its parent: a parent that
    is not in this request (it ends later, so it is exported later) is named
    to the store first, which reserves its number for when it arrives. A
    parent in this request but in another session is not numbered here.
    """
    sid = group.draft.id
    given = {s.span.span_id: s.number for s in group.steps if s.number is not None}
    foreign = {s.span.span_id: s for s in group.steps if s.number is None}
    order: list[str] = []
    seen: set[str] = set(given)
    # Sorted as (start, span id, step) tuples: span ids are unique among
    # them, so steps are never compared, and no key function runs per step.
    for _, _, step in sorted([(s.span.start, s.span.span_id, s) for s in foreign.values()]):
        chain: list[str] = []
        current: StepDraft | None = step
        while current is not None and current.span.span_id not in seen:
            span_id = current.span.span_id
            chain.append(span_id)
            seen.add(span_id)
            parent = current.span.parent_span_id
            current = foreign.get(parent) if parent is not None else None
            if (
                parent is not None
                and current is None
                and parent not in seen
                and owner.get(parent, sid) == sid
            ):
                chain.append(parent)
                seen.add(parent)
        order.extend(reversed(chain))
    return given, order
