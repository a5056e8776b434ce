"""Two recorded sessions aligned step by step, and what differs in each pair."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from agentreel.model import JSON, ErrorInfo, SessionSummary, Step
from agentreel.payloads import digest_of, dumps
from agentreel.storage import Store, load_payload

from ._align import Keys, align
from ._normalise import normalise
from ._values import FieldChange, diff_values

__all__ = [
    "DIGEST_VERSION",
    "PairStatus",
    "SessionDiff",
    "StepPair",
    "diff_sessions",
    "request_digest",
]

#: Part of every request digest; bump it when what a digest covers changes.
DIGEST_VERSION = "agentreel.diff.request/1"

PairStatus = Literal["same", "changed", "added", "removed"]
_STATUSES: tuple[PairStatus, ...] = ("same", "changed", "added", "removed")
_USAGE_FIELDS = ("input", "output", "cached", "reasoning")


@dataclass(frozen=True, slots=True, kw_only=True)
class StepPair:
    """A step of session A and its counterpart in session B.

    ``removed``: only ``a`` (B has no such step); ``added``: only ``b``;
    ``same`` and ``changed``: both, and ``changes`` lists what differs (empty
    unless ``changed``). Each step keeps its own number and parent number.
    """

    status: PairStatus
    a: Step | None = None
    b: Step | None = None
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionDiff:
    """Session A against session B, aligned in step-number order.

    ``counts`` has the keys ``same``, ``changed``, ``added`` and ``removed``
    (zero included); ``first_divergence`` is the first pair not ``same``.
    """

    a: SessionSummary
    b: SessionSummary
    pairs: tuple[StepPair, ...]
    first_divergence: StepPair | None
    counts: Mapping[str, int]

    @property
    def identical(self) -> bool:
        """Whether every step pairs up and nothing compared differs."""
        return self.first_divergence is None


class _Payloads:
    """One store's payloads, each decoded and normalised once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._values: dict[str, JSON] = {}
        self._digests: dict[tuple[str, str, str | None], str] = {}

    def value(self, ref: str | None) -> JSON:
        if ref is None:
            return None
        if ref not in self._values:
            self._values[ref] = normalise(load_payload(self.store, ref))
        return self._values[ref]

    def digest(self, step: Step) -> str:
        key = (str(step.kind), step.name, step.input_ref)
        found = self._digests.get(key)
        if found is None:
            data = dumps([DIGEST_VERSION, key[0], key[1], self.value(step.input_ref)])
            found = self._digests[key] = digest_of(data)
        return found


def request_digest(step: Step, store: Store) -> str:
    """A digest of what ``step`` asked: its kind, name and normalised input.

    The input payload is decoded from ``store`` and normalised (generated ids
    renumbered, response times dropped; see ``agentreel.diff``), then hashed
    as canonical JSON with SHA-256. Timing, ids, status, output and usage are
    not part of it, so the same request recorded twice, in any process or
    store, has the same digest. Raises ``MissingPayload`` if the store lacks
    the input.
    """
    return _Payloads(store).digest(step)


def diff_sessions(
    store: Store, a: str, b: str, *, store_b: Store | None = None, compare_usage: bool = False
) -> SessionDiff:
    """Align session ``a`` with session ``b`` and compare the aligned steps.

    ``a`` and ``b`` are session ids or unique prefixes; ``b`` is looked up in
    ``store_b`` when given (a reel file read into a ``MemoryStore``, say).
    Steps are aligned in step-number order on kind, name and
    :func:`request_digest`; steps of the same kind and name whose requests
    differ pair up as ``changed``. Paired steps are compared on input,
    output, status, error (type and message), model and parent, and with
    ``compare_usage`` also on token usage and cost. Timing and ids never
    count.
    """
    other = store if store_b is None else store_b
    id_a, id_b = store.resolve_session_id(a), other.resolve_session_id(b)
    summary_a, summary_b = store.summarize(id_a), other.summarize(id_b)
    steps_a, steps_b = store.get_steps(id_a), other.get_steps(id_b)
    payloads_a = _Payloads(store)
    payloads_b = payloads_a if other is store else _Payloads(other)
    pairing = align(_keys(steps_a, payloads_a), _keys(steps_b, payloads_b))
    counterpart = {
        steps_a[i].number: steps_b[j].number for i, j in pairing if i is not None and j is not None
    }
    pairs: list[StepPair] = []
    for i, j in pairing:
        if i is not None and j is not None:
            sa, sb = steps_a[i], steps_b[j]
            changes = _compare(sa, sb, payloads_a, payloads_b, counterpart, compare_usage)
            pairs.append(
                StepPair(status="changed" if changes else "same", a=sa, b=sb, changes=changes)
            )
        elif i is not None:
            pairs.append(StepPair(status="removed", a=steps_a[i]))
        elif j is not None:
            pairs.append(StepPair(status="added", b=steps_b[j]))
    counts: dict[str, int] = dict.fromkeys(_STATUSES, 0)
    for pair in pairs:
        counts[pair.status] += 1
    return SessionDiff(
        a=summary_a,
        b=summary_b,
        pairs=tuple(pairs),
        first_divergence=next((p for p in pairs if p.status != "same"), None),
        counts=counts,
    )


def _keys(steps: Sequence[Step], payloads: _Payloads) -> list[Keys]:
    return [((s.kind, s.name, payloads.digest(s)), (s.kind, s.name)) for s in steps]


def _compare(
    a: Step,
    b: Step,
    payloads_a: _Payloads,
    payloads_b: _Payloads,
    counterpart: Mapping[int, int],
    compare_usage: bool,
) -> tuple[FieldChange, ...]:
    changes: list[FieldChange] = []
    # Payload refs are content digests: equal refs hold equal values.
    for path, ref_a, ref_b in (
        ("input", a.input_ref, b.input_ref),
        ("output", a.output_ref, b.output_ref),
    ):
        if ref_a != ref_b:
            changes += diff_values(payloads_a.value(ref_a), payloads_b.value(ref_b), path)
    if a.status != b.status:
        changes.append(FieldChange(path="status", before=str(a.status), after=str(b.status)))
    changes += diff_values(_error(a.error), _error(b.error), "error")
    if a.model != b.model:
        changes.append(FieldChange(path="model", before=a.model, after=b.model))
    if not _same_parent(a, b, counterpart):
        changes.append(FieldChange(path="parent", before=a.parent_number, after=b.parent_number))
    if compare_usage:
        for name in _USAGE_FIELDS:
            before, after = getattr(a.usage, name), getattr(b.usage, name)
            if before != after:
                changes.append(FieldChange(path=f"usage.{name}", before=before, after=after))
        if a.cost != b.cost:
            changes.append(FieldChange(path="cost", before=a.cost, after=b.cost))
    return tuple(changes)


def _error(error: ErrorInfo | None) -> JSON:
    # Tracebacks name files and line numbers, which move with every edit of
    # the code; the type and message say what went wrong.
    return None if error is None else {"type": error.type, "message": error.message}


def _same_parent(a: Step, b: Step, counterpart: Mapping[int, int]) -> bool:
    """Whether the parents of ``a`` and ``b`` are counterparts (or both absent)."""
    if a.parent_number is None:
        return b.parent_number is None
    # A parent with no counterpart (removed in B) cannot be B's parent.
    mapped = counterpart.get(a.parent_number)
    return mapped is not None and mapped == b.parent_number
