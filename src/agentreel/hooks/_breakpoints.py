"""Live breakpoints: pause a running agent *before* a step, set in code or from outside.

A breakpoint is a pause check on the process's hook manager: at every step
start it is asked whether to pause, and the step waits on the pause board
until a controller (``agentreel attach``) resolves it or the pause times out.
Conditions are the debugger's (``agentreel.debugger.parse_condition``) tested
on the step about to run — its input is known, its output is not, so a
condition on ``output.*`` never matches — or a Python callable on the
:class:`~agentreel.hooks.Call`, for breakpoints set in code.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentreel.errors import AgentreelError
from agentreel.model import Status, Step, StepKind
from agentreel.recording import count_loss

from ._events import Call
from ._manager import HookManager
from ._registry import get_manager

if TYPE_CHECKING:
    from agentreel.debugger import StepFields

# The debugger's condition language is imported on first use, not with
# agentreel.hooks: a program that never sets a breakpoint does not pay for it.

__all__ = [
    "STEPPED",
    "LiveBreakpoint",
    "breakpoint",
    "breakpoints",
    "clear_breakpoint",
    "clear_breakpoints",
    "live_breakpoints",
]

#: The reason the manager gives a pause caused by "step" (a controller's, or ours).
STEPPED = "stepped to the next step"
_KINDS = frozenset(k.value for k in StepKind)
#: Sessions whose step depths are remembered (for conditions on ``depth`` and ``agent``).
_TREES = 16
_CAUSED = 1024

Test = Callable[[Call, "StepFields"], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveBreakpoint:
    """A breakpoint of this process: the steps it pauses before, and who set it.

    ``spec`` says what it matches in the words it was set with; ``owner`` is
    ``"code"`` for ``agentreel.breakpoint()`` or the controller that set it.
    """

    number: int
    spec: str
    once: bool = False
    owner: str = "code"
    tests: tuple[Test, ...] = ()

    def matches(self, call: Call, fields: StepFields) -> bool:
        from agentreel.debugger import Unknown

        for test in self.tests:
            outcome = test(call, fields)
            if isinstance(outcome, Unknown) or not outcome:
                return False
        return True

    def describe(self) -> dict[str, Any]:
        """The breakpoint as JSON-safe data, for controllers."""
        return {"number": self.number, "spec": self.spec, "once": self.once, "owner": self.owner}


def _step_of(call: Call, depth: int, agent: str | None) -> StepFields:
    """What debugger conditions read, built from a step that has not run yet."""
    from agentreel.debugger import StepFields

    kind = call.kind if call.kind in _KINDS else StepKind.CUSTOM.value
    step = Step(
        session_id=call.session_id,
        number=call.number,
        span_id="",
        parent_number=call.parent_number,
        kind=StepKind(kind),
        name=call.name,
        status=Status.RUNNING,
        started_at=0,
        attributes=dict(call.attributes),
        model=call.model,
        # Any non-None ref: the loader below serves the live input, never a store.
        input_ref="live" if call.input is not None else None,
    )
    live = call.input
    return StepFields(
        step,
        depth=depth,
        children=0,
        agent=agent,
        payload=lambda _step, which: live if which == "input" else None,
    )


def _tests(
    spec: str | None, kind: str | None, name: str | None, tool: str | None, when: Any
) -> tuple[tuple[Test, ...], str]:
    from agentreel.debugger import BreakpointError, parse_condition

    tests: list[Test] = []
    words: list[str] = []
    if spec is not None:
        condition = parse_condition(spec)
        tests.append(lambda _call, fields: condition.test(fields))
        words.append(spec.strip())
    if kind is not None:
        if kind not in _KINDS:
            raise BreakpointError(f"kind={kind}", f"the kinds are {', '.join(sorted(_KINDS))}")
        tests.append(lambda call, _f: call.kind == kind)
        words.append(f"kind:{kind}")
    if name is not None:
        tests.append(lambda call, _f: fnmatch.fnmatchcase(call.name, name))
        words.append(f"name:{name}")
    if tool is not None:
        tests.append(lambda call, _f: call.kind == "tool" and fnmatch.fnmatchcase(call.name, tool))
        words.append(f"tool:{tool}")
    if when is not None:
        if not callable(when):
            raise BreakpointError("when=...", f"must be a callable on a Call, not {when!r}")
        tests.append(lambda call, _f: when(call))
        words.append(f"when {getattr(when, '__qualname__', repr(when))}")
    return tuple(tests), " and ".join(words) or "the next step"


class _Breakpoints:
    """The breakpoints of the process, and the one pause check that tests them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, LiveBreakpoint] = {}
        self._numbers = itertools.count(1)
        self._manager: HookManager | None = None
        # session id -> step number -> (depth, nearest agent's name)
        self._trees: OrderedDict[str, dict[int, tuple[int, str | None]]] = OrderedDict()
        # (session id, step number) -> who set the breakpoint that paused it
        self._caused: OrderedDict[tuple[str, int], str] = OrderedDict()

    def _bind(self) -> HookManager:
        manager = get_manager()
        if manager is not self._manager:  # hooks.reset() made a new manager: start over
            self._manager = manager
            self._items.clear()
            self._numbers = itertools.count(1)
            self._trees.clear()
            self._caused.clear()
        return manager

    def _sync(self, manager: HookManager) -> None:
        installed = self.check in manager.pause_checks
        if self._items and not installed:
            manager.pause_checks.append(self.check)
        elif not self._items and installed:
            manager.pause_checks.remove(self.check)
        else:
            return
        manager.refresh()

    def add(self, tests: tuple[Test, ...], spec: str, *, once: bool, owner: str) -> LiveBreakpoint:
        with self._lock:
            manager = self._bind()
            bp = LiveBreakpoint(
                number=next(self._numbers), spec=spec, once=once, owner=owner, tests=tests
            )
            self._items[bp.number] = bp
            self._sync(manager)
        return bp

    def add_spec(self, spec: str, *, owner: str, once: bool = False) -> LiveBreakpoint:
        """A breakpoint from a spec alone: all a controller may send (data, never code)."""
        tests, words = _tests(spec, None, None, None, None)
        return self.add(tests, words, once=once, owner=owner)

    def remove(self, number: int) -> LiveBreakpoint:
        with self._lock:
            manager = self._bind()
            bp = self._items.pop(number, None)
            if bp is None:
                from agentreel.debugger import UnknownBreakpoint

                raise UnknownBreakpoint(number, sorted(self._items))
            self._sync(manager)
        return bp

    def clear(self, owner: str | None = None) -> tuple[LiveBreakpoint, ...]:
        with self._lock:
            manager = self._bind()
            gone = tuple(b for b in self._items.values() if owner is None or b.owner == owner)
            for bp in gone:
                del self._items[bp.number]
            self._sync(manager)
        return gone

    def all(self) -> tuple[LiveBreakpoint, ...]:
        with self._lock:
            self._bind()
            return tuple(self._items.values())

    def owner_of(self, session_id: str, number: int, *, forget: bool = False) -> str | None:
        """Who set the breakpoint that paused step ``number`` (None: no breakpoint did)."""
        with self._lock:
            key = (session_id, number)
            return self._caused.pop(key, None) if forget else self._caused.get(key)

    def _place(self, call: Call) -> tuple[int, str | None]:
        tree = self._trees.get(call.session_id)
        if tree is None:
            tree = self._trees[call.session_id] = {}
            if len(self._trees) > _TREES:
                self._trees.popitem(last=False)
        above = tree.get(call.parent_number) if call.parent_number is not None else None
        if call.parent_number is None:
            depth, agent = 0, None
        elif above is None:  # the parent started before breakpoints were set
            depth, agent = 1, None
        else:
            depth, agent = above[0] + 1, above[1]
        if call.kind == "agent":
            agent = call.name
        tree[call.number] = (depth, agent)
        return depth, agent

    def check(self, call: Call) -> str | None:
        """The manager's pause check: a reason to pause before ``call``, or None."""
        with self._lock:
            depth, agent = self._place(call)
            items = tuple(self._items.values())
        if not items:
            return None
        fields = _step_of(call, depth, agent)
        for bp in items:
            try:
                hit = bp.matches(call, fields)
            except Exception as exc:  # a user's predicate: counted, never the agent's problem
                count_loss(
                    "hook_errors", detail=f"breakpoint {bp.number} ({bp.spec}) raised {exc!r}"
                )
                continue
            if hit:
                self._hit(bp, call)
                return f"breakpoint {bp.number} ({bp.spec})"
        return None

    def _hit(self, bp: LiveBreakpoint, call: Call) -> None:
        with self._lock:
            self._caused[(call.session_id, call.number)] = bp.owner
            if len(self._caused) > _CAUSED:
                self._caused.popitem(last=False)
            if bp.once and self._items.pop(bp.number, None) is not None:
                manager = self._manager
                if manager is not None:
                    self._sync(manager)


#: The process's breakpoints (one set, like the one hook manager).
live_breakpoints = _Breakpoints()


def breakpoint(
    spec: str | None = None,
    *,
    kind: str | None = None,
    name: str | None = None,
    tool: str | None = None,
    when: Callable[[Call], Any] | None = None,
    once: bool = False,
    control: bool = True,
) -> LiveBreakpoint:
    """Pause this process before every step that matches, until a controller resolves it.

    ``spec`` is a breakpoint in the debugger's language (``"tool:write_*"``,
    ``"llm"``, ``"if input.path ~ '/etc/*'"``); ``kind``, ``name`` (a glob)
    and ``tool`` (a tool name glob) say the same as keywords, and ``when`` is a
    callable given the :class:`~agentreel.hooks.Call`. Everything given must
    match. With none of them, the breakpoint pauses before the next step, once.
    ``once=True`` removes the breakpoint after its first hit.

    With ``control=True`` (the default) this also starts the control channel,
    so that ``agentreel attach`` can see and resolve the pause. A paused step
    resumes by itself after the pause timeout (300 s by default). A bad spec
    raises :class:`~agentreel.debugger.BreakpointError`.
    """
    tests, words = _tests(spec, kind, name, tool, when)
    bp = live_breakpoints.add(tests, words, once=once or not tests, owner="code")
    if control:
        from ._socket import start_control  # the channel imports this module

        try:
            start_control()
        except AgentreelError as exc:  # the agent runs on; the pause still times out
            count_loss("hook_errors", detail=f"the control channel could not start: {exc}")
    return bp


def breakpoints() -> tuple[LiveBreakpoint, ...]:
    """The breakpoints set in this process, in code or by controllers."""
    return live_breakpoints.all()


def clear_breakpoint(number: int) -> LiveBreakpoint:
    """Remove breakpoint ``number``; :class:`~agentreel.debugger.UnknownBreakpoint` if unset."""
    return live_breakpoints.remove(number)


def clear_breakpoints() -> tuple[LiveBreakpoint, ...]:
    """Remove every breakpoint of this process; returns the ones removed."""
    return live_breakpoints.clear()
