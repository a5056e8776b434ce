"""A recorded session loaded whole, checked, and indexed for matching.

Every step is read up front, and every output payload (see ``_payloads``), so
a session with a gap in its step numbers or an answer missing from the store
is refused before the program runs, not halfway through it. What matching
does not need waits until something asks: payloads are decoded when first
read, a replay reads input payloads when first needed, and a step's full
:class:`~agentreel.model.Step` is built (from the store's row, or for a
replay, which reads only the columns it needs, from the store) only for the
few steps looked at closely.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from agentreel.determinism import VALUES_ATTRIBUTE
from agentreel.model import JSON, ErrorInfo, Session, Status, Step
from agentreel.storage import Store
from agentreel.storage._rows import STEP_COLUMNS, step_from
from agentreel.storage._rules import load_error, load_json

from ._digest import masked_paths
from ._errors import IncompleteRecording
from ._modes import SERVED_KINDS
from ._payloads import Payloads

__all__ = ["Payloads", "Position", "RecordedStep", "Recording", "load_recording"]

#: Where a step sits: its parent's step number (None at the top), kind, name.
Position = tuple[int | None, str, str]

K = TypeVar("K", bound=Hashable)

# A store row is the session id followed by STEP_COLUMNS (see Store.get_step_rows).
_COLUMN = {name: i + 1 for i, name in enumerate(STEP_COLUMNS)}
_NUMBER, _PARENT, _KIND, _NAME = (_COLUMN[c] for c in ("number", "parent_number", "kind", "name"))
_STATUS, _ATTRIBUTES, _ERROR = _COLUMN["status"], _COLUMN["attributes"], _COLUMN["error"]
_INPUT, _OUTPUT = _COLUMN["input_ref"], _COLUMN["output_ref"]
_RUNNING = str(Status.RUNNING)
#: Most steps have no attributes: they share one empty mapping, never written to.
_NO_ATTRIBUTES: Mapping[str, JSON] = MappingProxyType({})
_NO_ATTRIBUTES_JSON = b"{}"


class RecordedStep:
    """One recorded step: what matching reads, with the rest built when first asked for."""

    __slots__ = (
        "_error",
        "_row",
        "_step",
        "attributes",
        "finished",
        "input_ref",
        "kind",
        "name",
        "number",
        "output_ref",
        "parent",
        "payloads",
        "values",
    )

    number: int
    kind: str
    name: str
    #: The parent's step number (None at the top level).
    parent: int | None
    #: Whether the step ended (a step still running when recording stopped did not).
    finished: bool
    input_ref: str | None
    output_ref: str | None
    attributes: Mapping[str, JSON]
    #: The nondeterministic values the step drew, in order: ``(seam, value)``.
    values: tuple[tuple[str, JSON], ...]
    payloads: Payloads

    def __init__(self, step: Step, payloads: Payloads) -> None:
        self.number, self.kind, self.name = step.number, str(step.kind), step.name
        self.parent = step.parent_number
        self.finished = step.status is not Status.RUNNING
        self.input_ref, self.output_ref = step.input_ref, step.output_ref
        self.attributes = step.attributes
        self.values = _values(step.attributes)
        self.payloads = payloads
        self._step: Step | None = step
        self._row: Sequence[Any] = ()
        self._error: str | bytes | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any], payloads: Payloads) -> RecordedStep:
        """The step of a store row (``Store.get_step_rows``), its ``Step`` not built yet."""
        rs = cls.__new__(cls)
        rs.number, rs.kind, rs.name, rs.parent = row[_NUMBER], row[_KIND], row[_NAME], row[_PARENT]
        rs.finished = row[_STATUS] != _RUNNING
        rs.input_ref, rs.output_ref = row[_INPUT], row[_OUTPUT]
        rs.attributes = attributes = _attributes(row[_ATTRIBUTES])
        rs.values = _values(attributes)
        rs.payloads = payloads
        rs._step = None
        rs._row = row
        rs._error = row[_ERROR]
        return rs

    @property
    def step(self) -> Step:
        """The recorded step, as ``Store.get_step`` gives it."""
        step = self._step
        if step is None:
            # Loaded from the replay's narrow rows (no row kept): the store
            # has the rest, and is open while such a recording is used.
            row = self._row
            step = step_from(row) if row else self.payloads.step(self.number)
            self._step = step
        return step

    @property
    def error(self) -> ErrorInfo | None:
        if self._step is not None:
            return self._step.error
        error = self._error
        return None if error is None else load_error(error)

    @property
    def servable(self) -> bool:
        return self.kind in SERVED_KINDS

    @property
    def input(self) -> JSON:
        return self.payloads.value(self.input_ref)

    @property
    def output(self) -> JSON:
        """The recorded output, shared: read it, never hand it out (see ``fresh_output``)."""
        return self.payloads.value(self.output_ref)

    def fresh_output(self) -> JSON:
        """The recorded output as new objects, to serve to the program."""
        return self.payloads.fresh(self.output_ref)

    @property
    def request(self) -> JSON:
        """The input, normalised; what matching compares."""
        return self.payloads.request(self.input_ref)

    @property
    def digest(self) -> str:
        """The request digest (``agentreel.diff.request_digest``)."""
        return self.payloads.digest(self.kind, self.name, self.input_ref)

    @property
    def masked_input(self) -> bool:
        """Whether the recorded input holds a secret mask, which matches any text."""
        return self.payloads.any_masks() and bool(masked_paths(self.input, "input"))

    @property
    def masked_output(self) -> tuple[str, ...]:
        """Paths of secret masks in the recorded output."""
        return masked_paths(self.output, "output") if self.payloads.masks else ()

    def label(self) -> str:
        return f"step {self.number} ({self.kind} {self.name})"

    def __repr__(self) -> str:
        return f"<RecordedStep {self.label()}>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """A recorded session, indexed the ways matching and explaining need."""

    session: Session
    #: Every step by number, in number order.
    steps: Mapping[int, RecordedStep]
    #: Steps at each position, in step-number order.
    positions: Mapping[Position, tuple[RecordedStep, ...]]
    #: Numbers of the steps a replay answers (llm, tool, retrieval), in order.
    servable: tuple[int, ...]
    payloads: Payloads = field(repr=False, compare=False)
    # Indexes only explaining a divergence uses, made when first asked for.
    _indexes: dict[str, Mapping[Any, tuple[RecordedStep, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def by_name(self) -> Mapping[tuple[str, str], tuple[RecordedStep, ...]]:
        """Steps of each (kind, name), anywhere in the tree, in step-number order."""
        return self._index("by_name", lambda rs: (rs.kind, rs.name))

    @property
    def children(self) -> Mapping[int | None, tuple[RecordedStep, ...]]:
        """Children of each step (None: the top level), in step-number order."""
        return self._index("children", lambda rs: rs.parent)

    def _index(
        self, name: str, key: Callable[[RecordedStep], K]
    ) -> Mapping[K, tuple[RecordedStep, ...]]:
        found = self._indexes.get(name)
        if found is None:
            found = self._indexes[name] = _group(self.steps.values(), key)
        return found


def load_recording(store: Store, session_id: str, *, read_inputs: bool = True) -> Recording:
    """Read session ``session_id`` (an id or unique prefix) and all it needs from ``store``.

    Raises ``UnknownSession`` / ``AmbiguousId`` for a bad id and
    :class:`IncompleteRecording` for a gap in the step numbers or a payload
    the store does not have. With ``read_inputs=False`` the input payloads
    are read when first needed instead (a replay matches most calls without
    them), and a missing one is reported then; ``store`` must stay open
    while the recording is used.
    """
    full_id = store.resolve_session_id(session_id)
    session = store.get_session(full_id)
    payloads = Payloads(store, full_id)
    steps = _in_order(full_id, _read_steps(store, full_id, payloads, narrow=not read_inputs))
    payloads.read_outputs(steps)
    if read_inputs:
        payloads.read_inputs()
    # One pass for the three indexes: they are built for every step loaded.
    by_number: dict[int, RecordedStep] = {}
    groups: dict[Position, list[RecordedStep]] = {}
    servable: list[int] = []
    served = SERVED_KINDS
    for rs in steps:
        number, kind = rs.number, rs.kind
        by_number[number] = rs
        key = (rs.parent, kind, rs.name)
        group = groups.get(key)
        if group is None:
            groups[key] = [rs]
        else:
            group.append(rs)
        if kind in served:
            servable.append(number)
    return Recording(
        session=session,
        steps=by_number,
        positions={k: tuple(v) for k, v in groups.items()},
        servable=tuple(servable),
        payloads=payloads,
    )


def _read_steps(
    store: Store, session_id: str, payloads: Payloads, *, narrow: bool
) -> list[RecordedStep]:
    # The SQL stores give their rows as they are: building a Step (a frozen
    # dataclass of 19 fields) for each was a third of loading a recording.
    # A replay that keeps the store open reads only the columns matching
    # and serving use (``get_replay_rows``) and asks the store for the rest
    # of a step if anything wants it.
    if narrow:
        rows = getattr(store, "get_replay_rows", None)
        if rows is not None:
            return _from_replay_rows(rows(session_id), payloads)
    full = getattr(store, "get_step_rows", None)
    if full is not None:
        from_row = RecordedStep.from_row
        return [from_row(row, payloads) for row in full(session_id)]
    return [RecordedStep(step, payloads) for step in store.get_steps(session_id)]


def _from_replay_rows(rows: Iterable[Sequence[Any]], payloads: Payloads) -> list[RecordedStep]:
    """Steps of ``get_replay_rows`` rows, built in one loop: a constructor
    call per row would add a Python frame per recorded step."""
    new = RecordedStep.__new__
    cls = RecordedStep
    out: list[RecordedStep] = []
    append = out.append
    for number, parent, kind, name, ended, attrs, input_ref, output_ref, error in rows:
        rs = new(cls)
        rs.number, rs.kind, rs.name, rs.parent = number, kind, name, parent
        rs.finished = ended != 0  # SQLite gives 1 or 0, PostgreSQL True or False
        rs.input_ref, rs.output_ref = input_ref, output_ref
        rs.attributes = attributes = _attributes(attrs)
        rs.values = _values(attributes)
        rs.payloads = payloads
        rs._step = None
        rs._row = ()
        rs._error = error
        append(rs)
    return out


def _in_order(session_id: str, steps: list[RecordedStep]) -> list[RecordedStep]:
    """``steps`` in number order; raises ``IncompleteRecording`` for a gap in the numbers."""
    numbers = [rs.number for rs in steps]
    if numbers == list(range(1, len(numbers) + 1)):
        return steps  # how every store returns a complete session
    present = set(numbers)
    highest = max(present, default=0)
    absent = [n for n in range(1, highest + 1) if n not in present]
    if not absent:
        return sorted(steps, key=lambda rs: rs.number)
    shown = ", ".join(map(str, absent[:10])) + (", ..." if len(absent) > 10 else "")
    raise IncompleteRecording(
        session_id,
        f"its steps are numbered up to {highest}, but step {shown} is missing "
        "(records lost while it was recorded — see `dropped_queue_full` in "
        "agentreel.stats() — or a partial import)",
    )


def _attributes(data: bytes | str) -> Mapping[str, JSON]:
    return _NO_ATTRIBUTES if data == _NO_ATTRIBUTES_JSON else load_json(data)


def _values(attributes: Mapping[str, JSON]) -> tuple[tuple[str, JSON], ...]:
    raw = attributes.get(VALUES_ATTRIBUTE) if attributes else None
    if not isinstance(raw, list):
        return ()
    return tuple(
        (item[0], item[1])
        for item in raw
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
    )


def _group(
    steps: Iterable[RecordedStep], key: Callable[[RecordedStep], K]
) -> dict[K, tuple[RecordedStep, ...]]:
    """``steps`` grouped by ``key``, each group in the order given."""
    groups: dict[K, list[RecordedStep]] = {}
    for rs in steps:
        k = key(rs)
        group = groups.get(k)
        if group is None:
            groups[k] = [rs]
        else:
            group.append(rs)
    return {k: tuple(v) for k, v in groups.items()}
