"""A recorded session loaded whole, checked, and indexed for matching.

Every step is read up front, and every output payload (see ``_payloads``), so
a session with a gap in its step numbers or an answer missing from the store
is refused before the program runs, not halfway through it. What matching
does not need waits until something asks: payloads are decoded when first
read, a replay reads input payloads when first needed, and a step's full
:class:`~agentreel.model.Step` is built from the store's row only for the
few steps looked at closely (an error to rebuild, a fork, the CLI).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agentreel.determinism import VALUES_ATTRIBUTE
from agentreel.model import JSON, ErrorInfo, Session, Status, Step
from agentreel.storage import Store
from agentreel.storage._rows import STEP_COLUMNS, step_from
from agentreel.storage._rules import load_json

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


class RecordedStep:
    """One recorded step: what matching reads, with the rest built when first asked for."""

    __slots__ = (
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
        self._fill(step.number, str(step.kind), step.name, step.parent_number)
        self.finished = step.status is not Status.RUNNING
        self.input_ref, self.output_ref = step.input_ref, step.output_ref
        self._with(step.attributes, payloads)
        self._step: Step | None = step
        self._row: Sequence[Any] = ()

    @classmethod
    def from_row(cls, row: Sequence[Any], payloads: Payloads) -> RecordedStep:
        """The step of a store row (``Store.get_step_rows``), its ``Step`` not built yet."""
        rs = cls.__new__(cls)
        rs._fill(row[_NUMBER], row[_KIND], row[_NAME], row[_PARENT])
        rs.finished = row[_STATUS] != _RUNNING
        rs.input_ref, rs.output_ref = row[_INPUT], row[_OUTPUT]
        rs._with(load_json(row[_ATTRIBUTES]), payloads)
        rs._step = None
        rs._row = row
        return rs

    def _fill(self, number: int, kind: str, name: str, parent: int | None) -> None:
        self.number, self.kind, self.name, self.parent = number, kind, name, parent

    def _with(self, attributes: Mapping[str, JSON], payloads: Payloads) -> None:
        self.attributes = attributes
        self.values = _values(attributes.get(VALUES_ATTRIBUTE)) if attributes else ()
        self.payloads = payloads

    @property
    def step(self) -> Step:
        """The recorded step, as ``Store.get_step`` gives it."""
        step = self._step
        if step is None:
            step = self._step = step_from(self._row)
        return step

    @property
    def error(self) -> ErrorInfo | None:
        if self._step is None and self._row[_ERROR] is None:
            return None
        return self.step.error

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
    steps = _in_order(full_id, _read_steps(store, full_id, payloads))
    payloads.read_outputs(steps)
    if read_inputs:
        payloads.read_inputs()
    return Recording(
        session=session,
        steps={rs.number: rs for rs in steps},
        positions=_group(steps, lambda rs: (rs.parent, rs.kind, rs.name)),
        servable=tuple(rs.number for rs in steps if rs.kind in SERVED_KINDS),
        payloads=payloads,
    )


def _read_steps(store: Store, session_id: str, payloads: Payloads) -> list[RecordedStep]:
    # The SQL stores give their rows as they are: building a Step (a frozen
    # dataclass of 19 fields) for each was a third of loading a recording.
    rows = getattr(store, "get_step_rows", None)
    if rows is not None:
        from_row = RecordedStep.from_row
        return [from_row(row, payloads) for row in rows(session_id)]
    return [RecordedStep(step, payloads) for step in store.get_steps(session_id)]


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


def _values(raw: JSON) -> tuple[tuple[str, JSON], ...]:
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
