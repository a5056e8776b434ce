"""Budget: stop the model call that would go over a cost or token limit, before it is made.

Before each model call the guard estimates what the call will cost: the
prompt's tokens by a characters-per-token rule (4 by default, a fair
average for English text and JSON with OpenAI and Anthropic tokenizers),
plus ``expected_output_tokens``, priced with the recorder's price table for
the call's model. If what the session (or the day) has spent, plus what
calls in flight have reserved, plus this estimate goes over a limit, the
call is vetoed (or paused for a person) with a reason that gives the figures.
What calls really spent is taken from their steps when they end.
"""

from __future__ import annotations

from collections.abc import Callable

from agentreel._units import format_cost
from agentreel.hooks import Call, Pause, SessionEvent, StepEvent, Veto, hookimpl
from agentreel.recording import current_recorder, price_of
from agentreel.storage import Store

from ._common import (
    check_choice,
    check_positive,
    estimate_tokens,
    model_of,
    prompt_text,
    request_body,
)
from ._ledger import Ledger, Position, Spend

__all__ = ["Budget"]

_ACTIONS = ("veto", "pause")
#: Step attributes of steps that spent nothing this run: served by a replay
#: (the tokens are the recording's) or answered by a hook.
_REPLAYED = "agentreel.replayed_step"
_ANSWERED_BY = "agentreel.answered_by"


def _recorder_store() -> Store | None:
    recorder = current_recorder()
    return None if recorder is None else recorder.store


def _tokens(n: int) -> str:
    return f"{n:,} tokens"


class Budget:
    """Cost and token limits per session and per UTC day, checked before each model call.

    ``max_cost_*`` are USD, ``max_tokens_*`` input plus output tokens; leave
    a limit ``None`` to not check it. The day's spending of other sessions
    is read from ``store`` (default: the store the recorder writes to) at
    first use and every ``refresh`` seconds after. ``on_exceed="veto"``
    stops the call (the agent gets ``StepVetoed``); ``"pause"`` holds it for
    a person, who may let it run anyway, and vetoes it if nobody answers
    within ``pause_timeout`` seconds. The guard fails closed: if it cannot
    decide (the store cannot be read), the call is vetoed.
    """

    def __init__(
        self,
        *,
        max_cost_per_session: float | None = None,
        max_tokens_per_session: int | None = None,
        max_cost_per_day: float | None = None,
        max_tokens_per_day: int | None = None,
        store: Store | None = None,
        on_exceed: str = "veto",
        chars_per_token: float = 4.0,
        expected_output_tokens: int = 0,
        refresh: float = 30.0,
        pause_timeout: float | None = None,
    ) -> None:
        for name, value in (
            ("max_cost_per_session", max_cost_per_session),
            ("max_tokens_per_session", max_tokens_per_session),
            ("max_cost_per_day", max_cost_per_day),
            ("max_tokens_per_day", max_tokens_per_day),
            ("chars_per_token", chars_per_token),
            ("refresh", refresh),
            ("pause_timeout", pause_timeout),
        ):
            check_positive("Budget", name, value)
        check_positive("Budget", "expected_output_tokens", expected_output_tokens + 1)
        check_choice("Budget", "on_exceed", on_exceed, _ACTIONS)
        self.max_cost_per_session = max_cost_per_session
        self.max_tokens_per_session = max_tokens_per_session
        self.max_cost_per_day = max_cost_per_day
        self.max_tokens_per_day = max_tokens_per_day
        self.chars_per_token = chars_per_token
        self.expected_output_tokens = expected_output_tokens
        self._action = on_exceed
        self._pause_timeout = pause_timeout
        daily = max_cost_per_day is not None or max_tokens_per_day is not None
        source: Callable[[], Store | None] | None = None
        if daily:
            source = (lambda: store) if store is not None else _recorder_store
        self.ledger = Ledger(store=source, refresh=refresh)

    def __repr__(self) -> str:
        limits = {k: v for k, v in vars(self).items() if k.startswith("max_") and v is not None}
        return f"Budget({', '.join(f'{k}={v}' for k, v in limits.items())})"

    # -- estimating ---------------------------------------------------------------

    def estimate(self, call: Call) -> tuple[Spend, str]:
        """What ``call`` is expected to spend, and how that was worked out (for reasons)."""
        body = request_body(call)
        model = model_of(call, body)
        tokens_in = estimate_tokens(prompt_text(body), self.chars_per_token)
        tokens_out = self.expected_output_tokens
        cost = price_of(model, tokens_in, tokens_out, 0, 0)
        how = f"{tokens_in:,} prompt tokens"
        if tokens_out:
            how += f" + {tokens_out:,} expected output tokens"
        how += f" at {model} prices" if cost is not None else f" ({model or 'no model'}: no price)"
        return Spend(cost or 0.0, tokens_in + tokens_out), how

    def _check(self, position: Position, estimate: Spend, how: str) -> str | None:
        checks = (
            ("session", "this session", self.max_cost_per_session, self.max_tokens_per_session,
             position.session, position.session_inflight),
            ("daily", "today (UTC)", self.max_cost_per_day, self.max_tokens_per_day,
             position.day, position.day_inflight),
        )  # fmt: skip
        for label, when, max_cost, max_tokens, spent, reserved in checks:
            if max_cost is not None and spent.cost + reserved.cost + estimate.cost > max_cost:
                held = f" and {format_cost(reserved.cost)} is reserved by calls in flight"
                return (
                    f"over the {label} budget: {format_cost(spent.cost)} of "
                    f"{format_cost(max_cost)} spent {when}"
                    f"{held if reserved.cost else ''}; this call would cost about "
                    f"{format_cost(estimate.cost)} ({how})"
                )
            if max_tokens is not None and spent.tokens + reserved.tokens + estimate.tokens > (
                max_tokens
            ):
                held = f" and {_tokens(reserved.tokens)} are reserved by calls in flight"
                return (
                    f"over the {label} token budget: {_tokens(spent.tokens)} of "
                    f"{max_tokens:,} spent {when}{held if reserved.tokens else ''}; this call "
                    f"would use about {_tokens(estimate.tokens)} ({how})"
                )
        return None

    # -- hooks --------------------------------------------------------------------------

    @hookimpl(timeout=10.0, on_error="veto")
    def before_model_call(self, call: Call) -> Veto | Pause | None:
        estimate, how = self.estimate(call)
        key = (call.session_id, call.number)
        parent = (call.session_id, call.parent_number if call.parent_number is not None else -1)
        refusal = self.ledger.admit(key, parent, estimate, lambda p, e: self._check(p, e, how))
        if refusal is None:
            return None
        if self._action == "pause":
            return Pause(refusal, timeout=self._pause_timeout, on_timeout="skip")
        return Veto(refusal)

    def on_step_end(self, event: StepEvent) -> None:
        if event.kind != "llm":
            return
        key = (event.session_id, event.number)
        attributes = event.attributes
        answered = str(attributes.get(_ANSWERED_BY, ""))
        if _REPLAYED in attributes or answered.startswith("hook:"):
            self.ledger.settle(key, None)
            return
        self.ledger.settle(key, Spend(event.cost or 0.0, event.tokens_in + event.tokens_out))

    def on_session_end(self, event: SessionEvent) -> None:
        self.ledger.forget(event.session_id)
