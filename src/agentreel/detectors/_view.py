"""A stored session as the detectors read it: steps, tree, and payloads read once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentreel.errors import MissingPayload
from agentreel.model import JSON, Session, Status, Step, StepKind, StepTree
from agentreel.storage import Store

from ._payloads import Payloads
from ._shapes import ModelReply, ModelRequest, ToolCallMade, read_reply, read_request

__all__ = ["SessionView", "load_view"]

#: Kinds whose outputs are fetched up front; anything else is fetched on demand.
_READ_KINDS = frozenset({StepKind.LLM, StepKind.PLAN})
#: Kinds that act on the world on the agent's behalf.
ACTION_KINDS = frozenset({StepKind.TOOL, StepKind.RETRIEVAL})
#: Attribute keys under which instrumentations record the id of the tool call a step runs.
CALL_ID_KEYS = ("gen_ai.tool.call.id", "tool_call_id", "tool.call_id", "tool_call.id")


class SessionView:
    """One session's steps with their tree, and cached access to their payloads.

    Payloads are fetched for every model, tool, plan and retrieval step at
    the first access, in a few batched queries, and shared between callers:
    treat what :meth:`input` and :meth:`output` return as read-only. A payload
    that cannot be read reads as None; ``unreadable`` holds those steps.
    """

    __slots__ = (
        "_by_number",
        "_executed",
        "_prefetched",
        "_replies",
        "_requests",
        "_responses",
        "payloads",
        "session",
        "steps",
        "store",
        "tree",
        "unreadable",
    )

    def __init__(self, store: Store, session: Session, steps: Sequence[Step]) -> None:
        self.store = store
        self.session = session
        self.tree = StepTree.build(steps)
        self.steps: tuple[Step, ...] = tuple(self.tree.steps)
        self.payloads = Payloads(store)
        self.unreadable: set[int] = set()
        self._by_number = {s.number: s for s in self.steps}
        self._prefetched = False
        self._requests: dict[int, ModelRequest | None] = {}
        self._replies: dict[int, ModelReply | None] = {}
        self._responses: dict[int, tuple[Step, ...]] | None = None
        self._executed: dict[int, tuple[Sequence[ToolCallMade], list[Step | None]]] = {}

    def __repr__(self) -> str:
        return f"SessionView({self.session.id[:12]}, {len(self.steps)} steps)"

    @property
    def session_id(self) -> str:
        return self.session.id

    # -- structure ----------------------------------------------------------

    def step(self, number: int) -> Step | None:
        return self._by_number.get(number)

    def parent(self, step: Step) -> Step | None:
        return None if step.parent_number is None else self._by_number.get(step.parent_number)

    def ancestors(self, step: Step) -> list[Step]:
        """The step's ancestors, innermost first (stops at a cycle in foreign data)."""
        found: list[Step] = []
        seen = {step.number}
        parent = self.parent(step)
        while parent is not None and parent.number not in seen:
            found.append(parent)
            seen.add(parent.number)
            parent = self.parent(parent)
        return found

    def agent_of(self, step: Step) -> Step | None:
        """The nearest enclosing ``agent`` step."""
        return next((a for a in self.ancestors(step) if a.kind is StepKind.AGENT), None)

    def thread(self, step: Step) -> int | None:
        """The step's thread: its parent's number (None at the top level).

        An agent's model calls and the tools they ask for are children of the
        agent's step, so the parent is the conversation they belong to.
        """
        parent = step.parent_number
        return parent if parent is not None and parent in self._by_number else None

    def of_kind(self, *kinds: StepKind) -> list[Step]:
        return [s for s in self.steps if s.kind in kinds]

    def failed(self, step: Step) -> bool:
        return step.status is Status.ERROR

    # -- payloads -----------------------------------------------------------

    def _prefetch(self) -> None:
        """Fetch what the detectors read of every model call and plan, in a few queries.

        Tool payloads are read one by one when asked for: most checks need
        only their digests. Of each conversation, the chain nodes are fetched
        but only the first node's messages (where the instructions and the
        first prompt are), not every message again.
        """
        if self._prefetched:
            return
        self._prefetched = True
        roots = [
            ref
            for step in self.steps
            if step.kind in _READ_KINDS
            for ref in (step.input_ref if step.kind is StepKind.LLM else None, step.output_ref)
            if ref
        ]
        self.payloads.prefetch(roots, lists=False)

    def _read(self, step: Step, ref: str | None) -> JSON:
        if not ref:
            return None
        self._prefetch()
        try:
            return self.payloads.value(ref)
        except MissingPayload:
            self.unreadable.add(step.number)
            return None

    def input(self, step: Step) -> JSON:
        """The step's recorded input, or None (not recorded, or not readable)."""
        return self._read(step, step.input_ref)

    def output(self, step: Step) -> JSON:
        """The step's recorded output, or None (not recorded, or not readable)."""
        return self._read(step, step.output_ref)

    def request(self, step: Step) -> ModelRequest | None:
        """What a model call asked, or None when its input is absent or of no known shape."""
        if step.number not in self._requests:
            found: ModelRequest | None = None
            if step.input_ref:
                self._prefetch()
                try:
                    found = read_request(self.payloads, step.input_ref)
                except MissingPayload:
                    self.unreadable.add(step.number)
            self._requests[step.number] = found
        return self._requests[step.number]

    def reply(self, step: Step) -> ModelReply | None:
        """What a model call answered, or None when its output is absent or of no known shape."""
        try:
            return self._replies[step.number]
        except KeyError:
            found = self._replies[step.number] = read_reply(self.output(step))
            return found

    # -- model calls and the tools they ran ----------------------------------

    def responses(self, llm: Step) -> tuple[Step, ...]:
        """The tool and retrieval steps run after a model call, before the next in its thread."""
        if self._responses is None:
            found: dict[int, list[Step]] = {}
            last: dict[int | None, int] = {}
            for step in self.steps:
                thread = self.thread(step)
                if step.kind is StepKind.LLM:
                    last[thread] = step.number
                    found[step.number] = []
                elif step.kind in ACTION_KINDS and thread in last:
                    found[last[thread]].append(step)
            self._responses = {k: tuple(v) for k, v in found.items()}
        return self._responses.get(llm.number, ())

    def executed(self, llm: Step, calls: Sequence[ToolCallMade]) -> list[Step | None]:
        """For each tool call of ``llm``'s answer, the step that ran it (None if none did).

        A step that records the call's id is matched by id; the others by
        tool name, in order.
        """
        known = self._executed.get(llm.number)
        if known is not None and known[0] is calls:
            return known[1]
        pool = list(self.responses(llm))
        ids = {s.number: _call_id(s) for s in pool}
        matched: list[Step | None] = []
        for call in calls:
            hit = None
            if call.call_id is not None:
                hit = next((s for s in pool if ids[s.number] == call.call_id), None)
            if hit is None:
                hit = next((s for s in pool if s.name == call.name and ids[s.number] is None), None)
            if hit is not None:
                pool.remove(hit)
            matched.append(hit)
        self._executed[llm.number] = (calls, matched)
        return matched


def _call_id(step: Step) -> Any:
    attributes = step.attributes
    for key in CALL_ID_KEYS:
        value = attributes.get(key) if isinstance(attributes, dict) else None
        if isinstance(value, str):
            return value
    return None


def load_view(store: Store, session_id: str) -> SessionView:
    """The session ``session_id`` (an id or unique prefix) of ``store``, ready for the detectors.

    Raises ``UnknownSession`` or ``AmbiguousId`` for an id that does not name
    one session.
    """
    full = store.resolve_session_id(session_id)
    return SessionView(store, store.get_session(full), store.get_steps(full))
