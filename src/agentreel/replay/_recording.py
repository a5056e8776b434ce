"""A recorded session loaded whole, checked, and indexed for matching.

Every payload blob the session refers to is read up front, in a handful of
bulk queries, so a session with a gap in its step numbers or a payload
missing from the store is refused before the program runs, not halfway
through it. Decoding a payload is left until something needs it (most
requests are matched without decoding the recorded one; see ``_engine``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import orjson

from agentreel.determinism import VALUES_ATTRIBUTE
from agentreel.diff import REDACTED, normalise
from agentreel.errors import MissingPayload
from agentreel.model import JSON, Session, Status, Step
from agentreel.payloads import decode_payload
from agentreel.reelfile._payloads import reachable
from agentreel.storage import Store

from ._digest import masked_paths, request_digest_of
from ._errors import IncompleteRecording
from ._modes import SERVED_KINDS

#: What every payload marker (``"@blob"``, ``"@chain"``, ``"@lit"``) starts with.
_MARKER = b'"@'

#: Where a step sits: its parent's step number (None at the top), kind, name.
Position = tuple[int | None, str, str]


class Payloads:
    """The payload blobs of one recorded session: read in bulk, decoded on demand."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._blobs: dict[str, bytes] = {}
        self._values: dict[str, JSON] = {}
        self._requests: dict[str, JSON] = {}
        self._digests: dict[tuple[str, str, str | None], str] = {}
        #: Whether any blob holds a secret mask; without one, nothing is searched for masks.
        self.masks = False

    def prefetch(self, roots: Collection[str]) -> None:
        """Read every blob reachable from ``roots``; raises ``MissingPayload``."""
        self._blobs.update(reachable(self._store.get_blobs, roots, set(self._blobs)))
        token = REDACTED.encode()
        # find(), not `in`: bytes `in` first tries the needle as an int (a TypeError).
        self.masks = any(data.find(token) >= 0 for data in self._blobs.values())

    def value(self, ref: str | None) -> JSON:
        """The payload, decoded once and shared: only for reading."""
        if ref is None:
            return None
        found = self._values.get(ref)
        if found is None and ref not in self._values:
            found = self._values[ref] = self.fresh(ref)
        return found

    def fresh(self, ref: str | None) -> JSON:
        """The payload as new objects, which the caller may hand out and let mutate."""
        if ref is None:
            return None
        data = self._blobs.get(ref)
        if data is not None and data.find(_MARKER) < 0:
            # Every payload marker is a key starting with "@", so a blob
            # without '"@' anywhere is plain JSON: the value itself.
            return orjson.loads(data)
        return decode_payload(ref, self._fetch)

    def request(self, ref: str | None) -> JSON:
        """The input payload, normalised (generated ids renumbered)."""
        if ref is None:
            return None
        found = self._requests.get(ref)
        if found is None and ref not in self._requests:
            found = self._requests[ref] = normalise(self.value(ref))
        return found

    def digest(self, kind: str, name: str, ref: str | None) -> str:
        key = (kind, name, ref)
        found = self._digests.get(key)
        if found is None:
            found = self._digests[key] = request_digest_of(kind, name, self.request(ref))
        return found

    def _fetch(self, digests: Collection[str]) -> dict[str, bytes]:
        blobs = self._blobs
        missing = [d for d in digests if d not in blobs]
        if missing:
            blobs.update(self._store.get_blobs(missing))
        return {d: blobs[d] for d in digests if d in blobs}


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedStep:
    """One recorded step, with its payloads decoded when first asked for."""

    step: Step
    #: The nondeterministic values the step drew, in order: ``(seam, value)``.
    values: tuple[tuple[str, JSON], ...] = ()
    payloads: Payloads = field(repr=False, compare=False)

    @property
    def number(self) -> int:
        return self.step.number

    @property
    def kind(self) -> str:
        return str(self.step.kind)

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def parent(self) -> int | None:
        return self.step.parent_number

    @property
    def servable(self) -> bool:
        return self.kind in SERVED_KINDS

    @property
    def finished(self) -> bool:
        return self.step.status is not Status.RUNNING

    @property
    def input(self) -> JSON:
        return self.payloads.value(self.step.input_ref)

    @property
    def output(self) -> JSON:
        """The recorded output, shared: read it, never hand it out (see ``fresh_output``)."""
        return self.payloads.value(self.step.output_ref)

    def fresh_output(self) -> JSON:
        """The recorded output as new objects, to serve to the program."""
        return self.payloads.fresh(self.step.output_ref)

    @property
    def request(self) -> JSON:
        """The input, normalised; what matching compares."""
        return self.payloads.request(self.step.input_ref)

    @property
    def digest(self) -> str:
        """The request digest (``agentreel.diff.request_digest``)."""
        return self.payloads.digest(self.kind, self.name, self.step.input_ref)

    @property
    def masked_input(self) -> bool:
        """Whether the recorded input holds a secret mask, which matches any text."""
        return self.payloads.masks and bool(masked_paths(self.input, "input"))

    @property
    def masked_output(self) -> tuple[str, ...]:
        """Paths of secret masks in the recorded output."""
        return masked_paths(self.output, "output") if self.payloads.masks else ()

    def label(self) -> str:
        return f"step {self.number} ({self.kind} {self.name})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """A recorded session, indexed the ways matching and explaining need."""

    session: Session
    steps: Mapping[int, RecordedStep]
    #: Steps at each position, in step-number order.
    positions: Mapping[Position, tuple[RecordedStep, ...]]
    #: Steps of each (kind, name), anywhere in the tree, in step-number order.
    by_name: Mapping[tuple[str, str], tuple[RecordedStep, ...]]
    #: Children of each step (None: the top level), in step-number order.
    children: Mapping[int | None, tuple[RecordedStep, ...]]
    #: Numbers of the steps a replay answers (llm, tool, retrieval), in order.
    servable: tuple[int, ...]
    payloads: Payloads = field(repr=False, compare=False)


def load_recording(store: Store, session_id: str) -> Recording:
    """Read session ``session_id`` (an id or unique prefix) and all it needs from ``store``.

    Raises ``UnknownSession`` / ``AmbiguousId`` for a bad id and
    :class:`IncompleteRecording` for a gap in the step numbers or a payload
    the store does not have.
    """
    full_id = store.resolve_session_id(session_id)
    session = store.get_session(full_id)
    steps = store.get_steps(full_id)
    _check_numbers(full_id, steps)
    payloads = Payloads(store)
    try:
        payloads.prefetch([r for s in steps for r in (s.input_ref, s.output_ref) if r is not None])
    except MissingPayload:
        _find_missing(full_id, steps, payloads)
        raise
    recorded = {s.number: RecordedStep(step=s, values=_values(s), payloads=payloads) for s in steps}
    return _index(session, recorded, payloads)


def _check_numbers(session_id: str, steps: list[Step]) -> None:
    numbers = {s.number for s in steps}
    highest = max(numbers, default=0)
    absent = [n for n in range(1, highest + 1) if n not in numbers]
    if not absent:
        return
    shown = ", ".join(map(str, absent[:10])) + (", ..." if len(absent) > 10 else "")
    raise IncompleteRecording(
        session_id,
        f"its steps are numbered up to {highest}, but step {shown} is missing "
        "(records lost while it was recorded — see `dropped_queue_full` in "
        "agentreel.stats() — or a partial import)",
    )


def _find_missing(session_id: str, steps: list[Step], payloads: Payloads) -> None:
    """Decode step by step to name the step whose payload is missing, and raise."""
    for step in steps:
        for which, ref in (("input", step.input_ref), ("output", step.output_ref)):
            try:
                payloads.fresh(ref)
            except MissingPayload as exc:
                raise IncompleteRecording(
                    session_id,
                    f"step {step.number} ({step.kind} {step.name}) refers to {which} payload "
                    f"{exc.digest[:16]}, which is not in the store",
                ) from exc


def _values(step: Step) -> tuple[tuple[str, JSON], ...]:
    raw = step.attributes.get(VALUES_ATTRIBUTE)
    if not isinstance(raw, list):
        return ()
    return tuple(
        (item[0], item[1])
        for item in raw
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
    )


def _index(session: Session, steps: dict[int, RecordedStep], payloads: Payloads) -> Recording:
    positions: dict[Position, list[RecordedStep]] = {}
    by_name: dict[tuple[str, str], list[RecordedStep]] = {}
    children: dict[int | None, list[RecordedStep]] = {}
    for number in sorted(steps):
        rs = steps[number]
        positions.setdefault((rs.parent, rs.kind, rs.name), []).append(rs)
        by_name.setdefault((rs.kind, rs.name), []).append(rs)
        children.setdefault(rs.parent, []).append(rs)
    ordered = {n: steps[n] for n in sorted(steps)}
    return Recording(
        session=session,
        steps=ordered,
        positions={k: tuple(v) for k, v in positions.items()},
        by_name={k: tuple(v) for k, v in by_name.items()},
        children={k: tuple(v) for k, v in children.items()},
        servable=tuple(n for n, rs in ordered.items() if rs.servable),
        payloads=payloads,
    )
