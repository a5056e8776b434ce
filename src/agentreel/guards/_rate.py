"""RateLimit: at most ``calls`` calls per ``per`` seconds, waiting or vetoing beyond that.

A token bucket per key (each session, or the whole process): it holds up to
``calls`` tokens, refills at ``calls / per`` tokens a second, and each call
takes one. A call that finds the bucket empty either waits for its token
(``action="wait"``) or is vetoed (``"veto"``). Waiting calls take their
token in advance, so callers on many threads are served in arrival order,
each waiting exactly until its turn, and none longer than ``max_wait``: a
call whose turn is further off is vetoed instead.
"""

from __future__ import annotations

import threading
import time

from agentreel.errors import ConfigurationError
from agentreel.hooks import Call, SessionEvent, Veto, hookimpl

from ._common import check_choice, check_positive

__all__ = ["MAX_WAIT", "RateLimit"]

_ACTIONS = ("wait", "veto")
_KEYS = ("session", "process")
_KINDS = ("llm", "tool")
#: The longest a call may be held for its turn. The hook's own time limit is
#: a little longer, so a wait never counts as a hung hook.
MAX_WAIT = 300.0


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at


class RateLimit:
    """At most ``calls`` calls of ``kinds`` per ``per`` seconds, per session or per process.

    ``action="wait"`` holds a call until its turn (at most ``max_wait``
    seconds; a call whose turn is further off is vetoed); ``"veto"`` vetoes
    a call that finds no token left. Bursts of up to ``calls`` calls pass at
    once. The wait happens on a hook worker thread while the agent's thread
    waits for the decision: see ``docs/guards.md`` on many waiting threads.
    """

    def __init__(
        self,
        *,
        calls: int,
        per: float,
        kinds: tuple[str, ...] = ("llm",),
        key: str = "session",
        action: str = "wait",
        max_wait: float = 60.0,
    ) -> None:
        check_positive("RateLimit", "calls", calls)
        check_positive("RateLimit", "per", per)
        check_positive("RateLimit", "max_wait", max_wait)
        if max_wait > MAX_WAIT:
            raise ConfigurationError(
                f"RateLimit(max_wait={max_wait}): at most {MAX_WAIT:g} s; a longer wait "
                "would hold a hook worker too long"
            )
        check_choice("RateLimit", "key", key, _KEYS)
        check_choice("RateLimit", "action", action, _ACTIONS)
        for kind in kinds:
            check_choice("RateLimit", "kinds", kind, _KINDS)
        self.calls = calls
        self.per = per
        self.kinds = frozenset(kinds)
        self.key = key
        self.max_wait = max_wait
        self._action = action
        self._rate = calls / per
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def __repr__(self) -> str:
        return f"RateLimit({self.calls} calls per {self.per:g} s per {self.key})"

    def take(self, bucket_key: str) -> float | None:
        """Take a token for one call: how long to wait for it (0: now), or None if refused."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(bucket_key)
            if bucket is None:
                bucket = self._buckets[bucket_key] = _Bucket(float(self.calls), now)
            bucket.tokens = min(float(self.calls), bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            wait = (1.0 - bucket.tokens) / self._rate
            if self._action == "veto" or wait > self.max_wait:
                return None
            bucket.tokens -= 1.0  # taken in advance: the next caller waits behind us
            return wait

    def _refusal(self, call: Call) -> str:
        scope = "this session" if self.key == "session" else "this process"
        if self._action == "wait":
            return (
                f"rate limit: {self.calls} {'/'.join(sorted(self.kinds))} calls per "
                f"{self.per:g} s in {scope}; this call's turn is more than "
                f"max_wait={self.max_wait:g} s away"
            )
        return (
            f"rate limit: {self.calls} {'/'.join(sorted(self.kinds))} calls per "
            f"{self.per:g} s in {scope} already made"
        )

    @hookimpl(timeout=MAX_WAIT + 5.0)
    def _decide(self, call: Call) -> Veto | None:
        if call.kind not in self.kinds:
            return None
        wait = self.take(call.session_id if self.key == "session" else "")
        if wait is None:
            return Veto(self._refusal(call))
        if wait > 0:
            time.sleep(wait)
        return None  # no opinion: the other deciders are asked, after the wait

    before_model_call = _decide
    before_tool_call = _decide

    def on_session_end(self, event: SessionEvent) -> None:
        if self.key == "session":
            with self._lock:
                self._buckets.pop(event.session_id, None)
