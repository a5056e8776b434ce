"""The replay interceptor: matches live steps to recorded ones and answers them.

Installed on the recorder (``Recorder.interceptor``), it sees every step
start. A live step is matched by position — the recorded step its parent
was matched to, kind and name — and, for calls it answers (``llm``, ``tool``,
``retrieval``), by request digest: the lowest-numbered recorded step there,
not used yet, that asked the same. Concurrent calls therefore match in
whatever order they start, and identical repeated requests each get their own
recorded answer. Other kinds run live and are matched by position alone.

Steps may start on several threads at once; one lock guards the matching
state (matching is short: a digest and a dictionary lookup). The matching
itself is in ``_matcher``; this module decides what follows from it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentreel.determinism import passthrough
from agentreel.diff import normalise
from agentreel.errors import StepVetoed
from agentreel.hooks import DECISION
from agentreel.model import JSON, ForkRef
from agentreel.recording import Answer, Redactor, SessionHandle, StepHandle

from ._callsite import call_site
from ._divergence import Divergence
from ._errors import ReplayDivergence
from ._exceptions import rebuild
from ._explain import ended_early, unmatched_call, unserved_value
from ._fork import Edit, fork_answer
from ._matcher import Matcher
from ._modes import SERVED_KINDS, ReplayMode
from ._recording import RecordedStep, Recording

logger = logging.getLogger("agentreel")

#: Step attribute naming the recorded step a live step was answered from.
REPLAYED_STEP = "agentreel.replayed_step"
#: Step attribute naming the field a fork edited (or "none": run live).
FORK_EDIT = "agentreel.fork_edit"


#: The step attributes hooks and pauses write (see agentreel.hooks).
_DECISION_KEYS = (DECISION, "agentreel.pause.")


def _text(value: JSON) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(slots=True)
class _State:
    """What the replay decided for one live step."""

    recorded: RecordedStep | None
    #: The step, and everything inside it, runs live.
    live: bool
    #: How many recorded values (now/random/uuid4) the step has been served.
    cursor: int = 0
    #: The step's values stopped matching; it draws live values from now on.
    values_live: bool = False
    #: Answered from the recording: its code never ran, so nothing (no child
    #: step, no drawn value) can ask about it once it has ended.
    served: bool = False


class Replayer:
    """The interceptor (and value source) of one replay run."""

    def __init__(
        self,
        recording: Recording,
        mode: ReplayMode,
        *,
        redactor: Redactor,
        fork_at: int | None = None,
        edit: Edit | None = None,
        after_fork: str = "live",
        metadata: dict[str, Any] | None = None,
        own_session: SessionHandle | None = None,
        submit: Callable[[SessionHandle], None] | None = None,
    ) -> None:
        self.recording = recording
        self.mode = mode
        self.fork_at = fork_at
        self.fork_ref = (
            None if fork_at is None else ForkRef(session_id=recording.session.id, step=fork_at)
        )
        self.served = 0
        self.live = 0
        self.divergences: list[Divergence] = []
        self.unconsumed: tuple[int, ...] = ()
        self.notes: list[str] = []
        self.new_session_id: str | None = None
        #: Divergences raised into the program (strict mode), to recognise them.
        self.raised: list[ReplayDivergence] = []
        self._edit = edit
        self._after_fork = after_fork
        #: Past a fork's step with after_fork="matching": recorded answers are
        #: still served where the request matches; the rest runs live, and
        #: neither counts as a divergence (the fork meant the run to depart).
        self.forked = False
        self._redactor = redactor
        self._metadata = metadata or {}
        self._own = own_session
        self._submit = submit
        # Reentrant: code the engine runs under it (a recorded exception
        # class's constructor, say) may call agentreel.now() itself.
        self._lock = threading.RLock()
        self._matcher = Matcher(recording)
        self._states: dict[StepHandle, _State] = {}
        self._sessions: set[str] = set()
        #: Everything runs live from now on (after a fork's step, or the first
        #: divergence in live-after-divergence mode).
        self.going_live = False

    # -- the interceptor protocol ----------------------------------------------

    def step_started(self, step: StepHandle) -> Answer | None:
        # Patched stdlib functions called from code run here (a logging
        # handler, an exception class's constructor) must not re-enter replay.
        token = passthrough.set(True)
        try:
            with self._lock:
                return self._started(step)
        finally:
            passthrough.reset(token)

    def _started(self, step: StepHandle) -> Answer | None:
        session = step.session
        if session is not None and session.id not in self._sessions:
            self._adopt(session)
        parent = step.parent
        pstate = self._states.get(parent) if parent is not None else None
        kind = step.kind
        servable = kind in SERVED_KINDS
        if self.going_live or (pstate is not None and pstate.live):
            self._states[step] = _State(None, live=True)
            self.live += servable
            return None
        # A parent that matched nothing leaves its children nowhere to match.
        placed = pstate is None or pstate.recorded is not None
        rparent = pstate.recorded.number if pstate and pstate.recorded else None
        key = (rparent, kind, step.name)
        if not servable:
            rs = self._matcher.structural(key, step) if placed else None
            if rs is not None and rs.number == self.fork_at:
                return self._fork(step, rs)
            self._states[step] = _State(rs, live=False)
            return None if rs is None else self._decided(step, rs)
        rs = self._matcher.call(key, step) if placed else None
        if rs is None:
            self._unmatched(step, rparent, placed)
            return None
        if rs.number == self.fork_at:
            return self._fork(step, rs)
        self._states[step] = _State(rs, live=False, served=True)
        self.served += 1
        decided = self._decided(step, rs)
        answer = self._answer(step, rs)
        return decided if decided is not None and decided.exception is not None else answer

    def step_finished(self, step: StepHandle) -> None:
        """Forget a served step: keeping every step's handle (its input and
        output among them) until the run ends made a long replay's memory, and
        the garbage collector's work, grow with every call."""
        state = self._states.get(step)
        if state is not None and state.served:
            with self._lock:
                self._states.pop(step, None)

    # -- the value source protocol (agentreel.determinism) ------------------------

    def recorded_value(self, step: StepHandle, seam: str) -> tuple[bool, JSON]:
        with self._lock:
            state = self._states.get(step)
            if state is None or state.live or state.values_live or self.going_live:
                return False, None
            rs = state.recorded
            index = state.cursor
            if rs is not None and index < len(rs.values) and rs.values[index][0] == seam:
                state.cursor += 1
                return True, rs.values[index][1]
            state.values_live = True
            if self.forked:
                return False, None
            self._diverge(
                unserved_value(
                    self.recording,
                    recorded=rs,
                    seam=seam,
                    index=index,
                    live_step=step.number,
                    kind=step.kind,
                    name=step.name,
                    call_site=call_site(),
                )
            )
            return False, None

    # -- the end of the run ----------------------------------------------------------

    def finish(self, *, stopped: bool) -> None:
        """Check for recorded answers never asked for (unless the run was stopped)."""
        with self._lock:
            if self.going_live or self.forked or stopped:
                return
            self.unconsumed = self._matcher.unconsumed()
            if self.unconsumed:
                self.divergences.append(ended_early(self.recording, self.unconsumed))

    # -- answering -------------------------------------------------------------------

    def _decided(self, step: StepHandle, rs: RecordedStep) -> Answer | None:
        """Reproduce what a hook or a person decided at the recorded step.

        The hooks are not asked again (``step.replayed``). A served step's
        recorded outcome already carries the decision; a structural one (a
        plan) gets it back here: vetoed again, or run with the edited input.
        """
        step.replayed = True
        recorded = rs.attributes
        if not recorded:
            return None  # most steps: no attributes, so no decision
        decision = recorded.get(DECISION)
        if decision is None:
            return None
        for key, value in recorded.items():
            if key.startswith(_DECISION_KEYS):
                step.attributes[key] = value
        error = rs.error
        if decision == "veto" and error is not None:
            vetoed = StepVetoed(
                error.message,
                hook=_text(recorded.get(DECISION + ".hook")),
                reason=_text(recorded.get(DECISION + ".reason")),
            )
            return Answer(exception=vetoed, source="replay")
        if rs.servable:
            return None
        edited = recorded.get(DECISION + ".input")
        if decision == "replace" and edited is not None:
            arguments = edited if isinstance(edited, dict) else {"input": edited}
            return Answer(arguments=arguments, source="replay")
        return None

    def _answer(self, step: StepHandle, rs: RecordedStep) -> Answer:
        step.attributes[REPLAYED_STEP] = rs.number
        # The model was not called again: the tokens are the recorded ones,
        # the money was spent once, when the run was recorded.
        step.cost = 0.0
        error = rs.error
        if error is not None:
            note = (
                f"agentreel: replayed from step {rs.number} of session "
                f"{self.recording.session.id[:12]}"
            )
            return Answer(exception=rebuild(error, note))
        if rs.payloads.masks and rs.masked_output:
            self._masked(step, rs)
        return Answer(output=rs.fresh_output())

    def note(self, text: str) -> None:
        """Something worth knowing that is not a divergence: kept and logged."""
        self.notes.append(text)
        logger.warning("agentreel: %s", text)

    def _masked(self, step: StepHandle, rs: RecordedStep) -> None:
        paths = ", ".join(rs.masked_output[:5])
        note = (
            f"new step {step.number} was served recorded {rs.label()}, whose output holds "
            f"a secret mask ([REDACTED]) at {paths}: the program got the mask, not the "
            "secret (record with redact=False, or fork at that step with the value)"
        )
        self.note(note)

    def _unmatched(self, step: StepHandle, rparent: int | None, placed: bool) -> None:
        self._states[step] = _State(None, live=True)
        if self.forked:
            self.live += 1
            return
        # Redacted: the report may be printed where a secret must not appear.
        request = normalise(self._redactor.value(step.input))
        divergence = unmatched_call(
            self.recording,
            consumed=self._matcher.consumed,
            parent=rparent,
            placed=placed,
            kind=step.kind,
            name=step.name,
            request=request,
            live_step=step.number,
            remaining=self._matcher.remaining,
            call_site=call_site(),
        )
        self._diverge(divergence)
        self.live += 1

    def _diverge(self, divergence: Divergence) -> None:
        self.divergences.append(divergence)
        if self.mode is ReplayMode.STRICT:
            error = ReplayDivergence(divergence)
            self.raised.append(error)
            raise error
        if self.mode is ReplayMode.LIVE_AFTER_DIVERGENCE:
            self.going_live = True

    def _fork(self, step: StepHandle, rs: RecordedStep) -> Answer | None:
        if self._after_fork == "live":
            self.going_live = True
        else:
            self.forked = True
        self._states[step] = _State(rs, live=True)
        answer = fork_answer(self._edit, rs, self.recording.session.id)
        step.attributes[REPLAYED_STEP] = rs.number
        step.attributes[FORK_EDIT] = "none" if self._edit is None else self._edit.field
        if answer is None or answer.arguments is not None:
            self.live += rs.servable  # a structural step running live is no call
        else:
            self.served += 1
        return answer

    def _adopt(self, session: SessionHandle) -> None:
        """Mark a session the replayed run records into (the caller checks it is new)."""
        self._sessions.add(session.id)
        if session is self._own and self._submit is not None:
            self._submit(session)
        if self._metadata:
            session.set_metadata(**self._metadata)
        if self.fork_ref is not None:
            session.forked_from = self.fork_ref
        if self.new_session_id is None:
            self.new_session_id = session.id

    def adopted(self, session: SessionHandle) -> bool:
        """Whether a step of the run landed in ``session``."""
        return session.id in self._sessions
