"""LoopGuard: stop an agent that repeats itself without getting anywhere.

Online counterpart of the ``loop`` detector (``agentreel.detectors``), which
reads stored steps after the fact. Here every model and tool call is
checked before it runs, against the calls before it in the same
conversation (the same session and parent step), within the last
``window`` calls:

* *repeats*: the same call (kind, name and arguments) made ``max_repeats``
  times already, with no progress between them, is refused the next time;
* *cycles*: a pattern of 2 to ``max_period`` different tool calls that has
  gone round ``max_repeats`` times with the same results is refused when it
  starts round again (read a, read b, read a, read b, read a, read b, read a).

Progress means a tool answering differently: polling a build's status
until it changes is not a loop. A model's answers vary anyway, so for model
calls only the request counts. Results arrive through ``on_step_end`` on the
observers' thread; a result not seen yet counts as no progress.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from agentreel.hooks import Call, Pause, SessionEvent, StepEvent, Veto

from ._common import check_choice, check_positive, digest

__all__ = ["LoopGuard"]

_ACTIONS = ("veto", "pause")
_KINDS = ("llm", "tool")


@dataclass(slots=True)
class _Seen:
    """One call made: its signature and, once it ended, a digest of its result."""

    number: int
    kind: str
    name: str
    signature: str
    result: str | None = None


def _same_result(a: _Seen, b: _Seen) -> bool:
    return a.result is None or b.result is None or a.result == b.result


class LoopGuard:
    """Veto (or pause) a call that repeats itself or goes round a cycle with no progress.

    ``max_repeats`` is how many times the same call may be made (and a
    cycle go round) before the next one is stopped; ``window`` how many of a
    conversation's latest calls are remembered; ``max_period`` the longest
    cycle looked for. ``kinds`` are the step kinds checked. With
    ``action="pause"`` the call waits for a person (who may let it run),
    and is vetoed if nobody answers within ``pause_timeout`` seconds.
    """

    def __init__(
        self,
        *,
        max_repeats: int = 3,
        window: int = 50,
        max_period: int = 6,
        action: str = "veto",
        kinds: tuple[str, ...] = ("llm", "tool"),
        pause_timeout: float | None = None,
    ) -> None:
        for name, value in (
            ("max_repeats", max_repeats),
            ("window", window),
            ("max_period", max_period),
            ("pause_timeout", pause_timeout),
        ):
            check_positive("LoopGuard", name, value)
        check_choice("LoopGuard", "action", action, _ACTIONS)
        for kind in kinds:
            check_choice("LoopGuard", "kinds", kind, _KINDS)
        self.max_repeats = int(max_repeats)
        self.window = int(window)
        self.max_period = int(max_period)
        self.kinds = frozenset(kinds)
        self._action = action
        self._pause_timeout = pause_timeout
        self._lock = threading.Lock()
        self._threads: dict[tuple[str, int | None], deque[_Seen]] = {}
        self._by_step: dict[tuple[str, int], _Seen] = {}

    def __repr__(self) -> str:
        return f"LoopGuard(max_repeats={self.max_repeats}, window={self.window})"

    # -- finding loops --------------------------------------------------------------

    def _repeats(self, seen: deque[_Seen], new: _Seen) -> str | None:
        same = [s for s in seen if s.signature == new.signature]
        count = len(same)
        if new.kind == "tool":
            # Only the latest run of equal results counts: a tool whose
            # answer changed made progress (polling a status is not a loop).
            count = 0
            for i in range(len(same) - 1, -1, -1):
                count += 1
                if i > 0 and not _same_result(same[i - 1], same[i]):
                    break
        if count < self.max_repeats:
            return None
        what = "model request" if new.kind == "llm" else f"call of {new.name} with these arguments"
        steps = ", ".join(str(s.number) for s in same[-count:])
        return (
            f"loop: the same {what} was already made {count} times (steps {steps}) "
            f"with no progress; the limit is {self.max_repeats}"
        )

    def _cycle(self, seen: deque[_Seen], new: _Seen) -> str | None:
        if new.kind == "llm":
            return None
        calls = [s for s in seen if s.kind != "llm"] + [new]
        n = len(calls)
        for period in range(2, self.max_period + 1):
            length = period * self.max_repeats + 1
            if n < length:
                break
            tail = calls[n - length :]
            pattern = tail[:period]
            if len({s.signature for s in pattern}) < 2:
                continue
            if all(
                tail[i].signature == tail[i - period].signature
                and _same_result(tail[i], tail[i - period])
                for i in range(period, length)
            ):
                names = " → ".join(s.name for s in pattern)
                return (
                    f"loop: the calls {names} went round {self.max_repeats} times with the "
                    f"same arguments and results (steps {tail[0].number}-{tail[-2].number}); "
                    "this call starts the cycle again"
                )
        return None

    def check(self, call: Call) -> str | None:
        """Why ``call`` is a loop, or None; remembers it if it may run."""
        if call.kind not in self.kinds:
            return None
        new = _Seen(
            number=call.number,
            kind=call.kind,
            name=call.name,
            signature=digest([call.kind, call.name, call.input]),
        )
        with self._lock:
            thread = (call.session_id, call.parent_number)
            seen = self._threads.get(thread)
            if seen is None:
                seen = self._threads[thread] = deque(maxlen=self.window)
            problem = self._cycle(seen, new) or self._repeats(seen, new)
            if problem is not None and self._action == "veto":
                return problem  # a vetoed call did not happen: it is not remembered
            if len(seen) == seen.maxlen:
                dropped = seen[0]
                self._by_step.pop((call.session_id, dropped.number), None)
            seen.append(new)
            self._by_step[(call.session_id, call.number)] = new
            return problem

    def _decide(self, call: Call) -> Veto | Pause | None:
        problem = self.check(call)
        if problem is None:
            return None
        if self._action == "pause":
            return Pause(problem, timeout=self._pause_timeout, on_timeout="skip")
        return Veto(problem)

    # -- hooks ------------------------------------------------------------------------------

    def before_model_call(self, call: Call) -> Veto | Pause | None:
        return self._decide(call)

    def before_tool_call(self, call: Call) -> Veto | Pause | None:
        return self._decide(call)

    def on_step_end(self, event: StepEvent) -> None:
        if event.kind not in self.kinds:
            return
        with self._lock:
            seen = self._by_step.get((event.session_id, event.number))
            if seen is None:
                return
            error = event.error
            outcome = event.output if error is None else ["error", error.type, error.message]
            seen.result = digest(outcome)

    def on_session_end(self, event: SessionEvent) -> None:
        sid = event.session_id
        with self._lock:
            for thread in [t for t in self._threads if t[0] == sid]:
                del self._threads[thread]
            for key in [k for k in self._by_step if k[0] == sid]:
                del self._by_step[key]
