"""The Store protocol: what every backend (memory, SQLite, PostgreSQL) offers.

Writes arrive in batches from one writer (the recorder's background thread, or
an importer); each batch is applied in one transaction. Reads may come from
any thread. The conformance suite in ``tests/storage/`` is the executable
definition of this protocol: a new backend is done when it passes it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from agentreel.model import Session, SessionSummary, Status, Step, StepRow
from agentreel.payloads import decode_payload

#: What ``list_sessions`` can sort by (see :class:`SessionFilter`).
Ordering = Literal["started", "duration", "steps", "tokens", "cost", "name"]
ORDERINGS: tuple[Ordering, ...] = ("started", "duration", "steps", "tokens", "cost", "name")


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionFilter:
    """Which sessions ``list_sessions`` returns, and in what order.

    ``name`` matches a case-insensitive substring (Unicode case folding, no
    wildcards); every tag in ``tags`` must be present; ``since <= started_at <
    until`` (ns since the epoch). ``limit=None`` means no limit.

    ``text`` is a search: a case-insensitive substring of the session's name
    or of the stored payloads (inputs and outputs, as JSON text) of any of its
    steps.

    ``order_by`` sorts by start time (``"started"``), duration (``ended_at -
    started_at``; sessions not ended come last in either direction), step
    count, total tokens (input + output), cost, or case-folded name;
    ``descending`` reverses it (the default: newest, longest, biggest first,
    and names Z to A). Ties are broken by id, in the same direction, so that
    paging with ``offset`` is stable.
    """

    name: str | None = None
    text: str | None = None
    tags: tuple[str, ...] = ()
    status: Status | None = None
    project: str | None = None
    since: int | None = None
    until: int | None = None
    order_by: Ordering = "started"
    descending: bool = True
    limit: int | None = 100
    offset: int = 0

    def __post_init__(self) -> None:
        if self.order_by not in ORDERINGS:
            raise ValueError(
                f"cannot order sessions by {self.order_by!r}; use one of {', '.join(ORDERINGS)}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """An API key of a project, as listed: never its secret.

    Times are ns since the epoch; ``revoked_at`` is None while the key works.
    """

    id: str
    project: str
    name: str
    created_at: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteBatch:
    """Everything one transaction writes.

    Sessions and steps are upserts (a session by id, a step by session id and
    number); within a batch a later entry for the same key wins. A *running*
    row never replaces a *finished* one, so a late or repeated start cannot
    undo an end. Blobs are insert-if-absent: same digest, same bytes.

    A row's ``attributes`` may also be the JSON bytes of the mapping, already
    encoded (the recorder does this off the hot path); stores keep them as is.
    A value that is not JSON-safe fails the whole batch with ``StoreError``.

    ``new_steps`` says that the first so many rows of ``steps`` were never
    written before by whoever made the batch (the recorder's writer knows
    this of its steps). A store may insert those more cheaply; the outcome
    must be the same as upserting them.
    """

    sessions: Sequence[Session] = ()
    steps: Sequence[StepRow] = ()
    blobs: Mapping[str, bytes] = field(default_factory=dict)
    new_steps: int = 0

    def __bool__(self) -> bool:
        return bool(self.sessions or self.steps or self.blobs)


@runtime_checkable
class Store(Protocol):
    """A place sessions, steps and payload blobs are kept."""

    #: Where the data lives, for messages: a file path, a URL, ``":memory:"``.
    location: str

    def write(self, batch: WriteBatch) -> None:
        """Apply ``batch`` in one transaction."""

    def resolve_session_id(self, prefix: str) -> str:
        """The full id of the one session whose id starts with ``prefix``.

        An exact id always resolves to itself. Otherwise ``prefix`` is matched
        case-insensitively against the lowercase-hex ids; an empty prefix, or
        one with a character that is not hex, matches nothing. Raises
        ``UnknownSession`` when none matches, ``AmbiguousId`` (with every
        candidate, sorted) when several do.
        """

    def get_session(self, session_id: str) -> Session:
        """The session with exactly this id, or ``UnknownSession``."""

    def summarize(self, session_id: str) -> SessionSummary:
        """The session with its totals, or ``UnknownSession``.

        Totals are computed from the session's steps: their count, how many
        have status ``error``, summed usage and cost, and ``last_step_at``, the
        latest ``ended_at`` (or ``started_at`` of an unfinished step).
        """

    def list_sessions(self, filter: SessionFilter | None = None) -> list[SessionSummary]:
        """Sessions matching ``filter`` with their totals, newest first.

        Newest means latest ``started_at``; equal start times are ordered by id,
        descending, so that paging with ``offset`` is stable.
        """

    def count_sessions(self) -> int:
        """How many sessions the store holds."""

    def get_steps(self, session_id: str, *, from_number: int = 1) -> list[Step]:
        """Steps of a session numbered ``from_number`` and up, in number order.

        An unknown session raises ``UnknownSession`` (a known one may have no steps).
        """

    def get_step(self, session_id: str, number: int) -> Step:
        """One step, or ``UnknownStep`` (``UnknownSession`` if the session is unknown)."""

    def get_blobs(self, digests: Collection[str]) -> dict[str, bytes]:
        """The blobs among ``digests`` that the store has; absent ones are left out."""

    def assign_step_numbers(self, session_id: str, span_ids: Sequence[str]) -> dict[str, int]:
        """Step numbers for spans that arrive without one (OTLP ingest).

        A span id the session already knows (assigned earlier, or the span id
        of a stored step) keeps its number. Unknown ones get new consecutive
        numbers after the highest the session has (among its steps and earlier
        assignments), in the order given. Atomic across threads and processes
        sharing the store: no number is handed out twice. The session need not
        exist yet, and a span may be numbered before its step is written (a
        parent named by a child that arrived first).
        """

    def create_api_key(self, project: str, name: str) -> tuple[str, str]:
        """A new key for ``project``: its id and its secret.

        The secret is shown this once: the store keeps only its SHA-256.
        """

    def check_api_key(self, secret: str) -> str | None:
        """The project of the key with this secret; None if unknown or revoked."""

    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key (it keeps its first revocation time); False if there is no such key."""

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""

    def close(self) -> None:
        """Release connections and files. Idempotent."""


class Transaction(Protocol):
    """Reads, numbering and a write that commit together (see :class:`Transactional`)."""

    def get_sessions(self, session_ids: Collection[str]) -> dict[str, Session]:
        """The stored sessions among ``session_ids``, by id (absent ones left out)."""

    def assign_step_numbers_many(
        self, span_ids: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, int]]:
        """:meth:`Store.assign_step_numbers` for each session of ``span_ids``."""

    def write(self, batch: WriteBatch) -> None:
        """Write ``batch`` as :meth:`Store.write` does, committed with the rest."""


@runtime_checkable
class Transactional(Protocol):
    """An optional addition to :class:`Store`: one transaction for a read-number-write.

    OTLP ingest reads the sessions a request names, numbers its spans, merges
    the sessions and writes them with the steps. Through ``transaction()``
    that is one transaction: everything done through the :class:`Transaction`
    commits when the block ends, or none of it when the block raises, and
    other writers (threads and processes) wait until it ends, so the sessions
    it read are still what the store holds when it writes their merge. A
    store without it is asked through the :class:`Store` methods, one
    transaction each.
    """

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A write transaction, held until the block ends."""


@runtime_checkable
class WritesMany(Protocol):
    """An optional addition to :class:`Store`: several batches, one transaction.

    The recorder's writer hands over what it has queued as an iterator of
    small batches, each made from its step handles only when the store asks
    for it. The rows a batch binds are then still in the CPU's caches, and
    the memory they take is reused batch after batch instead of a whole
    queue's worth being held at once (measured on bench/record_overhead.py:
    about 5 % less CPU per step than one batch of a thousand steps). The
    batches commit together, or none of them does if the store raises; an
    exception from the iterator itself is the caller's to handle.
    """

    def write_many(self, batches: Iterable[WriteBatch]) -> None:
        """Write each batch as :meth:`Store.write` would, all in one transaction."""


def load_payload(store: Store, digest: str) -> Any:
    """Read a payload back from ``store`` by its root digest."""
    return decode_payload(digest, store.get_blobs)
