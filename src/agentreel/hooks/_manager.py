"""The hook manager: registered plugins, and what happens to each step because of them.

The recorder calls four methods (``session_started``, ``session_finished``,
``step_started``, ``step_finished``) from the agent's threads. With nothing
registered they return at once; observers get snapshots queued for their own
thread; deciders, wrappers and pauses act inline, before the step runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from agentreel.errors import HookError, RunAborted, StepVetoed
from agentreel.model import ErrorInfo, Status
from agentreel.payloads import jsonable
from agentreel.recording import Answer

from ._decisions import UNSET, Allow, Annotate, Pause, Replace, Veto
from ._events import Call, Outcome, SessionEvent, StepEvent
from ._limits import Overran, call_limited
from ._observe import Item, ObserverThread, Plan
from ._pause import DEFAULT_PAUSE_TIMEOUT, PauseBoard
from ._plugin import Impl, Plugin, make_plugin
from ._spec import DECIDE, OBSERVE, SPECS, WRAP

if TYPE_CHECKING:
    from agentreel.recording import SessionHandle, StepHandle

__all__ = ["DECISION", "FINDINGS", "HookManager"]

#: The step attribute that records a decision; ``DECISION + ".hook"`` and
#: ``DECISION + ".reason"`` say who decided and why, ``DECISION + ".input"``
#: and ``DECISION + ".input_before"`` what a replacement changed.
DECISION = "agentreel.decision"
#: The step attribute holding detector findings recorded while the session
#: ran (a list of JSON objects; see ``agentreel.guards.DetectorGuard``): the
#: one ``agentreel.*`` key a decider's ``attributes`` may set.
FINDINGS = "agentreel.findings"
_EMPTY: tuple[Impl, ...] = ()
_OK = Status.OK
_ERROR = Status.ERROR
_new_tuple = tuple.__new__
#: The builder of an event made whole on the agent's thread: the item's third field.
_given = itemgetter(2)


def _session_event(s: SessionHandle) -> SessionEvent:
    return SessionEvent(
        session_id=s.id,
        name=s.name,
        project=s.project,
        tags=tuple(s.tags),
        metadata=dict(s.metadata),
        status=str(s.status),
        started_at=s.started_at,
        ended_at=s.ended_at,
        error=s.error,
    )


def _step_event(
    step: StepHandle,
    status: str,
    input_: Any,
    output: Any,
    attributes: dict[str, Any],
    model: str | None,
    tokens_in: int,
    tokens_out: int,
    cost: float | None,
    error: ErrorInfo | None,
    ended_at: int | None,
) -> StepEvent:
    """The event of ``step``: what may change while it runs is given, the rest
    (fixed since it started) is read from the handle."""
    session = step.session
    parent = step.parent
    # tuple.__new__ skips the named tuple's Python-level __new__ (half the cost).
    return _new_tuple(
        StepEvent,
        (
            session.id if session is not None else "",
            session.name if session is not None else "",
            step.number,
            parent.number if parent is not None else None,
            step.kind,
            step.name,
            status,
            input_,
            output,
            attributes,
            model,
            tokens_in,
            tokens_out,
            cost,
            error,
            step.started_at,
            ended_at,
        ),
    )


def _start_event(item: Item) -> StepEvent:
    # Built from the item step_started() queued: see there.
    _, _, step, input_, attributes, model, tokens_in, tokens_out, cost = item
    return _step_event(
        step, "running", input_, None, attributes, model, tokens_in, tokens_out, cost, None, None
    )


def call_of(step: StepHandle) -> Call:
    """What deciders, wrappers and controllers see of a step about to run."""
    session = step.session
    parent = step.parent
    return Call(
        session_id=session.id if session is not None else "",
        session_name=session.name if session is not None else "",
        number=step.number,
        parent_number=parent.number if parent is not None else None,
        kind=step.kind,
        name=step.name,
        input=step.input,
        model=step.model,
        attributes=dict(step.attributes),
    )


class HookManager:
    """Holds the registered plugins and applies them to every recorded step."""

    def __init__(
        self,
        *,
        loss: Callable[..., None] | None = None,
        cost: Callable[[str | None, int, int, int, int], float | None] | None = None,
        pause_timeout: float = DEFAULT_PAUSE_TIMEOUT,
    ) -> None:
        self._lock = threading.Lock()
        self.plugins: list[Plugin] = []
        self._loss = loss or (lambda reason, n=1, detail="": None)
        self._cost = cost
        self.disabled: set[str] = set()
        #: Fail-closed deciders that timed out: their steps are vetoed from now on.
        self.closed_out: set[str] = set()
        self.board = PauseBoard(pause_timeout)
        self._observers = ObserverThread(self._lost, self._disable, self.disabled)
        self._put = self._observers.put
        #: The observers of each event, prepared by _rebuild (None: nobody
        #: observes it). A failed step's end goes to on_step_end's observers
        #: then on_error's, as one event.
        self._on_session_start: Plan | None = None
        self._on_session_end: Plan | None = None
        self._on_step_start: Plan | None = None
        self._on_step_end: Plan | None = None
        self._on_step_failed: Plan | None = None
        self._end_event_of = self._end_event  # bound once, not per step
        #: The step kinds that have a decider or a wrapper.
        self._inline: frozenset[str] = frozenset()
        self._deciders: dict[str, tuple[Impl, ...]] = {}
        self._wrappers: dict[str, tuple[Impl, ...]] = {}
        self._wrapping: dict[int, list[tuple[Impl, Generator[None, Outcome, None]]]] = {}
        #: Extra pause checks run at every step start (breakpoints); each returns
        #: a reason to pause, or None.
        self.pause_checks: list[Callable[[Call], str | None]] = []
        #: Pause before the next step of any kind (a controller's "step").
        self.step_mode = False
        self.active = False

    # -- registration ------------------------------------------------------------

    def register(self, obj: object, *, name: str | None = None, priority: int = 0) -> Plugin:
        """Check ``obj`` against the hook specs and start calling its hooks.

        Higher ``priority`` deciders are asked first; equal ones in
        registration order. Raises :class:`~agentreel.errors.HookError` naming
        the plugin and the mismatch, or when the name is already taken.
        """
        plugin = make_plugin(obj, name=name, priority=priority)
        with self._lock:
            if any(p.name == plugin.name for p in self.plugins):
                raise HookError(
                    f"a hook plugin named {plugin.name!r} is already registered; "
                    "pass name= to register another"
                )
            self.plugins.append(plugin)
            self._rebuild()
        return plugin

    def unregister(self, name: str) -> None:
        with self._lock:
            before = len(self.plugins)
            self.plugins = [p for p in self.plugins if p.name != name]
            if len(self.plugins) == before:
                raise HookError(f"no hook plugin named {name!r} is registered")
            self._rebuild()

    def _rebuild(self) -> None:
        # Stable sort: equal priorities keep registration order.
        ordered = sorted(self.plugins, key=lambda p: -p.priority)
        impls = [i for p in ordered for i in p.impls if i.label not in self.disabled]
        observing = {
            name: tuple(i for i in impls if i.spec.name == name)
            for name, spec in SPECS.items()
            if spec.semantics == OBSERVE
        }
        plan = self._observers.plan
        self._on_session_start = plan(observing["on_session_start"])
        self._on_session_end = plan(observing["on_session_end"])
        self._on_step_start = plan(observing["on_step_start"])
        self._on_step_end = plan(observing["on_step_end"])
        self._on_step_failed = plan(observing["on_step_end"] + observing["on_error"])
        deciders: dict[str, list[Impl]] = {}
        wrappers: dict[str, list[Impl]] = {}
        for impl in impls:
            table = {DECIDE: deciders, WRAP: wrappers}.get(impl.spec.semantics)
            if table is not None:
                for kind in impl.spec.kinds:
                    table.setdefault(kind, []).append(impl)
        self._deciders = {k: tuple(v) for k, v in deciders.items()}
        self._wrappers = {k: tuple(v) for k, v in wrappers.items()}
        self._inline = frozenset(self._deciders) | frozenset(self._wrappers)
        self.active = bool(self.plugins or self.pause_checks or self.step_mode)

    def refresh(self) -> None:
        """Re-read the pause checks (after a breakpoint is added or removed)."""
        with self._lock:
            self._rebuild()

    def _disable(self, impl: Impl) -> None:
        with self._lock:
            self.disabled.add(impl.label)
            self._rebuild()

    def _lost(self, reason: str, n: int = 1, detail: str = "") -> None:
        self._loss(reason, n, detail=detail)

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until observers have seen every event so far."""
        return self._observers.drain(timeout)

    def close(self) -> None:
        """Let the observers see what is queued, then end their thread."""
        self._observers.close()

    # -- what the recorder calls -------------------------------------------------

    def session_started(self, session: SessionHandle) -> None:
        plan = self._on_session_start
        if plan is not None:
            self._put((plan, _given, _session_event(session)))

    def session_finished(self, session: SessionHandle) -> None:
        plan = self._on_session_end
        if plan is not None:
            self._put((plan, _given, _session_event(session)))

    def step_started(self, step: StepHandle) -> Answer | None:
        plan = self._on_step_start
        if plan is not None:
            # The handle keeps changing while the step runs: what may change is
            # copied here, on the agent's thread; the rest (fixed since the step
            # started) is read by _start_event on the observers' thread.
            self._put(
                (
                    plan,
                    _start_event,
                    step,
                    step.input,
                    dict(step.attributes),  # one C call: atomic under the GIL
                    step.model,
                    step.tokens_in,
                    step.tokens_out,
                    step.cost,
                )
            )
        kind = step.kind
        pausing = self.step_mode or self.pause_checks
        if not (pausing or kind in self._inline) or step.answer is not None or step.replayed:
            return None
        deciders = self._deciders.get(kind, _EMPTY)
        wrappers = self._wrappers.get(kind, _EMPTY)
        call = call_of(step)
        answer = self._decide(step, call, deciders) if deciders or pausing else None
        runs = answer is None or answer.arguments is not None
        if runs and wrappers:
            self._open_wrappers(step, call, wrappers)
        return answer

    def step_finished(self, step: StepHandle) -> None:
        wrapping = self._wrapping.pop(id(step), None) if self._wrapping else None
        if wrapping:
            self._close_wrappers(step, wrapping)
        plan = self._on_step_end if step.error is None else self._on_step_failed
        # A finished handle no longer changes (its methods ignore calls once
        # it has ended), so the event is built from it on the observers'
        # thread rather than copied here, on the agent's.
        if plan is not None:
            self._put((plan, self._end_event_of, step))

    # -- observe -----------------------------------------------------------------

    def _end_event(self, item: Item) -> StepEvent:
        step: StepHandle = item[2]
        cost = step.cost
        if cost is None and self._cost is not None and step.model:
            cost = self._cost(
                step.model, step.tokens_in, step.tokens_out, step.tokens_cached,
                step.tokens_reasoning,
            )  # fmt: skip
        # Compared by identity: hashing an enum member (a dict lookup) is a
        # call to Enum.__hash__, in Python.
        status = step.status
        return _step_event(
            step,
            "ok" if status is _OK else "error" if status is _ERROR else "running",
            step.input,
            step.output,
            dict(step.attributes),  # one C call: atomic under the GIL
            step.model,
            step.tokens_in,
            step.tokens_out,
            cost,
            step.error,
            step.ended_at,
        )

    # -- decide --------------------------------------------------------------------

    def _ask(self, impl: Impl, call: Call) -> Any:
        """One decider's decision; its failure policy applied if it fails."""
        if impl.label in self.closed_out:
            return Veto(f"hook {impl.label} was disabled after timing out, and fails closed")
        try:
            decision = call_limited(impl, call)
        except Overran as exc:
            if impl.on_error == "veto":
                # A guard that fails closed must not turn into no guard:
                # it is not called again, and every step it governs is vetoed.
                self._lost("hook_timeouts", detail=f"decider {exc}; it now vetoes")
                self.closed_out.add(impl.label)
            else:
                self._lost("hook_timeouts", detail=f"decider {exc}; it is disabled")
                self._disable(impl)
            return self._failed(impl, f"timed out after {impl.timeout:g} s")
        except Exception as exc:
            self._lost("hook_errors", detail=f"decider {impl.label} raised {exc!r}")
            return self._failed(impl, f"raised {type(exc).__name__}: {exc}")
        if decision is None or isinstance(decision, Allow | Veto | Replace | Pause | Annotate):
            return decision
        self._lost("hook_errors", detail=f"decider {impl.label} returned {decision!r}")
        return self._failed(impl, f"returned {type(decision).__name__}, not a decision")

    def _failed(self, impl: Impl, what: str) -> Veto | None:
        if impl.on_error == "veto":
            return Veto(f"hook {impl.label} {what} and fails closed")
        return None

    def _decide(self, step: StepHandle, call: Call, deciders: tuple[Impl, ...]) -> Answer | None:
        decision: Any = None
        decided_by = ""
        for impl in deciders:
            decision = self._ask(impl, call)
            if isinstance(decision, Annotate):
                # No opinion, but something to note: the next decider is still asked.
                self._annotate(step, impl.plugin, decision.attributes)
                decision = None
                continue
            if decision is not None:
                decided_by = impl.plugin
                self._annotate(step, impl.plugin, decision.attributes)
                break
        if decision is None:
            reason = self._pause_reason(call)
            if reason is not None:
                decision, decided_by = Pause(reason), "breakpoint"
        if decision is None:
            return None
        if isinstance(decision, Pause):
            decision, decided_by = self._pause(step, call, decision, decided_by)
        return self._apply(step, decision, decided_by)

    def _annotate(self, step: StepHandle, by: str, attributes: Mapping[str, Any] | None) -> None:
        """Record a decider's ``attributes`` on the step (the rules are in ``Annotate``)."""
        if not attributes:
            return
        attrs = step.attributes
        try:
            items = list(attributes.items())
        except Exception as exc:
            self._lost(
                "hook_errors", detail=f"decider {by} gave attributes={attributes!r}: {exc!r}"
            )
            return
        for key, value in items:
            # The agentreel.* keys are what replay and the reports trust (a
            # decision, a pause): a hook must not be able to forge them.
            if not isinstance(key, str) or (key.startswith("agentreel.") and key != FINDINGS):
                self._lost(
                    "hook_errors",
                    detail=f"decider {by} may not set the step attribute {key!r}: agentreel.* "
                    f"keys are the recorder's, except {FINDINGS}",
                )
                continue
            value = jsonable(value)
            before = attrs.get(key)
            if isinstance(before, list) and isinstance(value, list):
                value = [*before, *value]
            attrs[key] = value

    def _pause_reason(self, call: Call) -> str | None:
        if self.step_mode:
            self.step_mode = False
            self.refresh()
            return "stepped to the next step"
        # A copy: a once-breakpoint removes itself while other threads check.
        for check in tuple(self.pause_checks):
            try:
                reason = check(call)
            except Exception as exc:
                self._lost("hook_errors", detail=f"a breakpoint condition raised {exc!r}")
                continue
            if reason is not None:
                return reason
        return None

    def _pause(self, step: StepHandle, call: Call, pause: Pause, by: str) -> tuple[Any, str]:
        attrs = step.attributes
        attrs["agentreel.pause.reason"] = pause.reason or by
        start = time.monotonic()
        resolution = self.board.wait(
            call, pause.reason or by, timeout=pause.timeout, on_timeout=pause.on_timeout
        )
        action = resolution.action
        attrs["agentreel.pause.resolution"] = action
        attrs["agentreel.pause.waited_s"] = round(time.monotonic() - start, 3)
        who = resolution.by or by
        if action == "timeout":
            action = pause.on_timeout
            who = f"{by} (timed out)"
        if action == "step":
            self.step_mode = True
            self.refresh()
            return Allow("stepped"), who
        if action == "continue":
            return Allow(pause.reason), who
        if action == "skip":
            return Veto(f"skipped at a pause ({pause.reason or by})"), who
        if action == "edit":
            return Replace(input=resolution.input, reason="edited at a pause"), who
        # abort: the run ends here, on purpose.
        step.attributes[DECISION] = "abort"
        step.attributes[DECISION + ".hook"] = who
        raise RunAborted(f"run aborted at step {call.number} ({call.kind} {call.name}) by {who}")

    def _apply(self, step: StepHandle, decision: Any, by: str) -> Answer | None:
        attrs = step.attributes
        attrs[DECISION + ".hook"] = by
        if decision.reason:
            attrs[DECISION + ".reason"] = decision.reason
        source = f"hook:{by}"
        if isinstance(decision, Allow):
            attrs[DECISION] = "allow"
            return None
        if isinstance(decision, Veto):
            attrs[DECISION] = "veto"
            message = (
                f"{step.kind} step {step.number} ({step.name}) was vetoed by {by}: "
                f"{decision.reason}"
            )
            return Answer(
                exception=StepVetoed(message, hook=by, reason=decision.reason), source=source
            )
        attrs[DECISION] = "replace"
        if decision.output is not UNSET:
            attrs[DECISION + ".output"] = jsonable(decision.output)
            return Answer(output=decision.output, source=source)
        if decision.input is UNSET:
            return None
        # The step's input becomes what really ran (as for a replay fork);
        # what the program asked for is kept, and replay matches on it.
        attrs[DECISION + ".input_before"] = step.input
        attrs[DECISION + ".input"] = jsonable(decision.input)
        new = decision.input
        return Answer(arguments=new if isinstance(new, dict) else {"input": new}, source=source)

    # -- wrap ------------------------------------------------------------------------

    def _open_wrappers(self, step: StepHandle, call: Call, wrappers: tuple[Impl, ...]) -> None:
        opened = []
        for impl in wrappers:
            try:
                gen = impl.fn(call)
                call_limited(impl, gen, fn=next)
            except Exception as exc:
                self._lost("hook_errors", detail=f"wrapper {impl.label} failed: {exc!r}")
                continue
            opened.append((impl, gen))
        if opened:
            self._wrapping[id(step)] = opened

    def _close_wrappers(
        self, step: StepHandle, opened: list[tuple[Impl, Generator[None, Outcome, None]]]
    ) -> None:
        call = call_of(step)
        took = (step.ended_at or 0) - step.started_at
        outcome = Outcome(call=call, output=step.output, error=step.error, duration_ns=took)
        for impl, gen in reversed(opened):
            try:
                call_limited(impl, outcome, fn=gen.send)
            except StopIteration:
                continue
            except Exception as exc:
                self._lost("hook_errors", detail=f"wrapper {impl.label} failed: {exc!r}")
                continue
            self._lost("hook_errors", detail=f"wrapper {impl.label} yielded more than once")
            gen.close()
