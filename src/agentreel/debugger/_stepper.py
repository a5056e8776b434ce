"""The stepper: a cursor over one recorded session, moved like a debugger's.

It knows nothing of terminals: ``agentreel debug`` drives it from a prompt, and
a web UI can drive it from requests. Movements return the step they moved to,
or None when there is nowhere to go (the cursor then stays where it was).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agentreel.errors import UnknownStep
from agentreel.model import JSON, Session, Step, StepKind, StepTree
from agentreel.storage import Store, load_payload

from ._breakpoints import Breakpoint, parse_condition
from ._context import ModelContext, model_context
from ._errors import UnknownBreakpoint
from ._fields import StepFields
from ._predicate import Unknown

__all__ = ["Stepper", "Stop"]

#: Decoded payloads kept, so that a condition over ``input.*`` or a context
#: shown twice does not decode a long conversation again.
PAYLOAD_CACHE = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """Where ``continue`` stopped: at ``hits`` (the breakpoints that matched),
    or with no hits at the end of the session. ``warnings`` are conditions
    that could not be decided on some step (each reported once per breakpoint)."""

    step: Step
    hits: tuple[Breakpoint, ...] = ()
    warnings: tuple[str, ...] = ()
    moved: bool = True


class Stepper:
    """A cursor over the steps of ``session``, which it starts at step ``start``
    (default: the first). Steps are ordered by number, the numbers of ``agentreel show``."""

    def __init__(
        self, store: Store, session: Session, steps: Iterable[Step], *, start: int | None = None
    ) -> None:
        self.store = store
        self.session = session
        self.tree = StepTree.build(steps)
        self.steps: tuple[Step, ...] = tuple(self.tree.steps)
        self._index = {step.number: i for i, step in enumerate(self.steps)}
        self._depth: dict[int, int] = {}
        self._agent: dict[int, Step | None] = {}
        self.outline: tuple[tuple[int, Step], ...] = tuple(self.tree.walk())
        for depth, step in self.outline:
            self._depth[step.number] = depth
            parent = self.parent(step)
            inherited = self._agent.get(parent.number) if parent is not None else None
            self._agent[step.number] = step if step.kind is StepKind.AGENT else inherited
        self._trail: list[int] = []  # the steps `up` came from, for `down` to go back to
        self._breakpoints: dict[int, Breakpoint] = {}
        self._next_breakpoint = 1
        self._warned: set[int] = set()
        self._payloads: OrderedDict[tuple[int, str], JSON] = OrderedDict()
        self._cursor = self._position(start if start is not None else self._first_number())

    @classmethod
    def load(cls, store: Store, session_id: str, *, start: int | None = None) -> Stepper:
        """A stepper over the session ``session_id`` (an id or a unique prefix) of ``store``."""
        full_id = store.resolve_session_id(session_id)
        return cls(store, store.get_session(full_id), store.get_steps(full_id), start=start)

    # -- where things are ---------------------------------------------------------------

    @property
    def current(self) -> Step:
        return self.steps[self._cursor]

    def _first_number(self) -> int:
        return self.steps[0].number if self.steps else 1

    def _position(self, number: int) -> int:
        index = self._index.get(number)
        if index is None:
            last = self.steps[-1].number if self.steps else 0
            raise UnknownStep(self.session.id, number, last)
        return index

    def find(self, number: int) -> Step:
        """The step numbered ``number``, or ``UnknownStep``."""
        return self.steps[self._position(number)]

    def parent(self, step: Step | None = None) -> Step | None:
        """The parent of ``step`` (default: the current step), if it was recorded."""
        step = step or self.current
        index = self._index.get(step.parent_number) if step.parent_number is not None else None
        return self.steps[index] if index is not None else None

    def children(self, step: Step | None = None) -> tuple[Step, ...]:
        return self.tree.children_of((step or self.current).number)

    def depth(self, step: Step | None = None) -> int:
        return self._depth[(step or self.current).number]

    def agent(self, step: Step | None = None) -> Step | None:
        """The nearest agent step around ``step``, itself included."""
        return self._agent[(step or self.current).number]

    def path(self, step: Step | None = None) -> tuple[Step, ...]:
        """The steps from the top of the tree down to ``step`` (default: the current one)."""
        chain = [step or self.current]
        while (parent := self.parent(chain[-1])) is not None:
            chain.append(parent)
        return tuple(reversed(chain))

    def is_descendant(self, step: Step, of: Step) -> bool:
        return any(s.number == of.number for s in self.path(step)[:-1])

    # -- moving -------------------------------------------------------------------------

    def _go(self, index: int | None, *, keep_trail: bool = False) -> Step | None:
        if index is None:
            return None
        if not keep_trail:
            self._trail.clear()
        self._cursor = index
        return self.current

    def step_into(self) -> Step | None:
        """To the next step in number order, into children (``step``)."""
        nxt = self._cursor + 1
        return self._go(nxt if nxt < len(self.steps) else None)

    def step_over(self) -> Step | None:
        """To the next step that is not a descendant of this one (``next``)."""
        here = self.current
        for i in range(self._cursor + 1, len(self.steps)):
            if not self.is_descendant(self.steps[i], here):
                return self._go(i)
        return None

    def step_back(self) -> Step | None:
        """To the previous step in number order (``back``)."""
        return self._go(self._cursor - 1 if self._cursor > 0 else None)

    def up(self) -> Step | None:
        """To the parent step."""
        parent = self.parent()
        if parent is None:
            return None
        self._trail.append(self.current.number)
        return self._go(self._index[parent.number], keep_trail=True)

    def down(self) -> Step | None:
        """Back to the child ``up`` came from, else to the first child."""
        here = self.current.number
        if self._trail and self.find(self._trail[-1]).parent_number == here:
            return self._go(self._index[self._trail.pop()], keep_trail=True)
        kids = self.children()
        return self._go(self._index[kids[0].number] if kids else None)

    def goto(self, number: int) -> Step:
        """To step ``number``; ``UnknownStep`` if the session has none."""
        self._go(self._position(number))
        return self.current

    def first(self) -> Step:
        self._go(0)
        return self.current

    def last(self) -> Step:
        self._go(len(self.steps) - 1)
        return self.current

    # -- breakpoints --------------------------------------------------------------------

    @property
    def breakpoints(self) -> tuple[Breakpoint, ...]:
        return tuple(self._breakpoints.values())

    def add_breakpoint(self, spec: str) -> Breakpoint:
        """Set a breakpoint (see ``help break`` for specs); ``BreakpointError`` if bad."""
        condition = parse_condition(spec)
        number = self._next_breakpoint
        self._next_breakpoint += 1
        bp = Breakpoint(number=number, spec=spec.strip(), condition=condition)
        self._breakpoints[number] = bp
        return bp

    def _breakpoint(self, number: int) -> Breakpoint:
        bp = self._breakpoints.get(number)
        if bp is None:
            raise UnknownBreakpoint(number, sorted(self._breakpoints))
        return bp

    def remove_breakpoint(self, number: int) -> Breakpoint:
        bp = self._breakpoint(number)
        del self._breakpoints[number]
        return bp

    def clear_breakpoints(self) -> tuple[Breakpoint, ...]:
        removed = self.breakpoints
        self._breakpoints.clear()
        return removed

    def enable_breakpoint(self, number: int, enabled: bool = True) -> Breakpoint:
        bp = self._breakpoint(number)
        self._breakpoints[number] = bp = Breakpoint(
            number=bp.number, spec=bp.spec, condition=bp.condition, enabled=enabled
        )
        return bp

    def fields(self, step: Step) -> StepFields:
        """What conditions read on ``step``."""
        agent = self.agent(step)
        return StepFields(
            step,
            depth=self.depth(step),
            children=len(self.children(step)),
            agent=agent.name if agent is not None else None,
            payload=self.payload,
        )

    def breakpoints_at(
        self, step: Step, warnings: list[str] | None = None
    ) -> tuple[Breakpoint, ...]:
        """The enabled breakpoints that match ``step``.

        A condition that cannot be decided on ``step`` does not match; the
        first time that happens for a breakpoint, a sentence saying why is
        appended to ``warnings`` (when given).
        """
        fields = self.fields(step)
        hits: list[Breakpoint] = []
        for bp in self._breakpoints.values():
            if not bp.enabled:
                continue
            outcome = bp.condition.test(fields)
            if isinstance(outcome, Unknown):
                if warnings is not None and bp.number not in self._warned:
                    self._warned.add(bp.number)
                    warnings.append(
                        f"breakpoint {bp.number} ({bp.spec}): {outcome.reason}; steps where "
                        "it cannot be decided count as not matching (reported once)"
                    )
            elif outcome:
                hits.append(bp)
        return tuple(hits)

    def _run(self, order: Sequence[int]) -> Stop:
        warnings: list[str] = []
        for i in order:
            hits = self.breakpoints_at(self.steps[i], warnings)
            if hits:
                self._go(i)
                return Stop(step=self.current, hits=hits, warnings=tuple(warnings))
        end = order[-1] if order else self._cursor
        moved = end != self._cursor
        self._go(end)
        return Stop(step=self.current, warnings=tuple(warnings), moved=moved)

    def continue_forward(self) -> Stop:
        """To the next step a breakpoint matches, or to the last step (``continue``)."""
        return self._run(range(self._cursor + 1, len(self.steps)))

    def continue_backward(self) -> Stop:
        """To the previous step a breakpoint matches, or to the first step (``rcontinue``)."""
        return self._run(range(self._cursor - 1, -1, -1))

    # -- data ---------------------------------------------------------------------------

    def payload(self, step: Step, which: str) -> JSON:
        """The decoded ``"input"`` or ``"output"`` of ``step`` (None if it recorded none).

        Raises ``MissingPayload`` when the store lacks it.
        """
        ref = step.input_ref if which == "input" else step.output_ref
        if ref is None:
            return None
        key = (step.number, which)
        if key in self._payloads:
            self._payloads.move_to_end(key)
            return self._payloads[key]
        value = load_payload(self.store, ref)
        self._payloads[key] = value
        if len(self._payloads) > PAYLOAD_CACHE:
            self._payloads.popitem(last=False)
        return value

    def context(self, step: Step | None = None) -> ModelContext | None:
        """The model context at ``step`` (default: the current one); None before any model call."""
        index = self._index[(step or self.current).number]
        return model_context(self.steps, index, self.payload)
