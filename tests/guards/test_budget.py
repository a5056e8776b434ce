"""Budget: the model call that would overspend is vetoed before it is made."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import openai
import pytest

import agentreel
from agentreel import hooks
from agentreel.errors import ConfigurationError, StepVetoed
from agentreel.guards import Budget
from agentreel.hooks import Call
from agentreel.storage import SQLiteStore
from agentreel.testing import Answer, FakeLLMServer, Usage

from .conftest import Reel, resolve_next, settle

#: Each answer costs 100 * $0.001 + 50 * $0.002 = $0.20 at the test prices.
COSTLY = Usage(input=100, output=50)


class CountingBudget(Budget):
    """A Budget that counts how often it is asked (to show that a replay does not ask)."""

    def __init__(self, **limits: Any) -> None:
        super().__init__(**limits)
        self.asked = 0

    def before_model_call(self, call: Call) -> Any:
        self.asked += 1
        return super().before_model_call(call)


def ask(server: FakeLLMServer, text: str = "hi") -> str:
    with openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0) as client:
        reply = client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": text}]
        )
    return reply.choices[0].message.content or ""


@pytest.mark.usefixtures("instrumented")
def test_the_call_that_would_overspend_the_session_is_vetoed(
    reel: Reel, server: FakeLLMServer
) -> None:
    server.reply(Answer(text="one", usage=COSTLY), Answer(text="two", usage=COSTLY))
    budget = CountingBudget(max_cost_per_session=0.5)
    hooks.register(budget)
    caught: list[StepVetoed] = []

    def run() -> None:
        assert ask(server) == "one"
        settle()
        assert ask(server) == "two"
        settle()
        try:
            ask(server, "x" * 600)  # about 160 prompt tokens: ~$0.16 on top of $0.40
        except StepVetoed as exc:
            caught.append(exc)

    sid = reel.record(run)
    assert len(server.requests) == 2  # the third request never left the process
    (exc,) = caught
    assert exc.hook == "CountingBudget"
    assert exc.reason is not None
    assert re.fullmatch(
        r"over the session budget: \$0\.4000 of \$0\.5000 spent this session; this call "
        r"would cost about \$0\.1\d{3} \(1\d\d prompt tokens at gpt-test prices\)",
        exc.reason,
    ), exc.reason
    third = reel.steps(sid)[2]
    assert third.attributes["agentreel.decision"] == "veto"
    assert third.attributes["agentreel.decision.hook"] == "CountingBudget"
    assert third.attributes["agentreel.decision.reason"] == exc.reason
    assert third.error is not None and third.error.type == "agentreel.errors.StepVetoed"

    # A replay serves the answers and reproduces the veto without asking the budget.
    asked = budget.asked
    caught.clear()
    with agentreel.replay(sid, db=reel.path) as r:
        run()
    assert r.result.ok, r.result.divergences
    assert budget.asked == asked == 3
    assert len(server.requests) == 2
    assert [e.reason for e in caught] == [exc.reason]


@pytest.mark.usefixtures("instrumented")
def test_the_daily_budget_counts_every_session_of_the_day(
    reel: Reel, server: FakeLLMServer
) -> None:
    server.reply(*[Answer(text=str(i), usage=Usage(input=200, output=50)) for i in range(3)])
    # $0.30 spent before any guard existed: only the store knows about it.
    reel.record(lambda: ask(server), name="earlier")
    hooks.register(Budget(max_cost_per_day=0.7))
    reel.record(lambda: ask(server), name="first")  # $0.30 + ~$0.01 <= $0.70: allowed
    with pytest.raises(StepVetoed, match=r"over the daily budget: \$0\.6000 of \$0\.7000"):
        reel.record(lambda: ask(server, "y" * 600), name="second")
    assert len(server.requests) == 2

    # Another process (a new guard) reads both sessions from the store.
    hooks.reset()
    hooks.register(Budget(max_cost_per_day=0.65))
    with pytest.raises(StepVetoed, match=r"\$0\.6000 of \$0\.6500 spent today \(UTC\)"):
        reel.record(lambda: ask(server, "z" * 300), name="elsewhere")
    assert len(server.requests) == 2


def test_concurrent_calls_cannot_all_slip_under_the_limit(reel: Reel) -> None:
    # Each call's prompt is about $0.10; only three fit under $0.35, however
    # many threads ask at the same moment, while the first ones are in flight.
    running: list[int] = []
    start = threading.Barrier(8)

    @agentreel.llm
    def chat(model: str, messages: list[dict[str, str]]) -> str:
        running.append(1)
        time.sleep(0.3)
        return "ok"

    hooks.register(Budget(max_cost_per_session=0.35))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        start.wait()
        try:
            chat("gpt-test", [{"role": "user", "content": f"{i}" + "w" * 360}])
            result = "ran"
        except StepVetoed as exc:
            result = "vetoed" if "reserved by calls in flight" in str(exc) else str(exc)
        with lock:
            outcomes.append(result)

    def run() -> None:
        with agentreel.ContextThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(worker, range(8)))

    reel.record(run)
    assert sorted(outcomes) == ["ran"] * 3 + ["vetoed"] * 5
    assert len(running) == 3


def test_the_token_budget_uses_the_prompt_estimate(reel: Reel) -> None:
    @agentreel.llm
    def chat(messages: list[dict[str, str]]) -> str:
        return "ok"

    hooks.register(Budget(max_tokens_per_session=100, expected_output_tokens=20))
    ran: list[str] = []

    def run() -> None:
        ran.append(chat([{"role": "user", "content": "short"}]))
        with pytest.raises(StepVetoed) as info:
            chat([{"role": "user", "content": "v" * 400}])
        assert re.fullmatch(
            r"over the session token budget: 0 tokens of 100 spent this session; this call "
            r"would use about 1\d\d tokens \(1\d\d prompt tokens \+ 20 expected output tokens "
            r"\(no model: no price\)\)",
            str(info.value.reason),
        ), info.value.reason

    reel.record(run)
    assert ran == ["ok"]


def test_a_budget_that_cannot_read_the_store_fails_closed(reel: Reel, tmp_path: Any) -> None:
    broken = SQLiteStore(tmp_path / "other.db")
    broken.close()  # reading a closed store raises
    hooks.register(Budget(max_cost_per_day=1.0, store=broken))

    @agentreel.llm
    def chat(messages: list[dict[str, str]]) -> str:
        return "ok"

    with pytest.raises(StepVetoed, match=r"hook Budget.before_model_call raised .* fails closed"):
        reel.record(lambda: chat([{"role": "user", "content": "hi"}]))


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"max_cost_per_session": 0}, "max_cost_per_session=...\\) must be a positive number"),
        ({"max_tokens_per_day": -5}, "must be a positive number"),
        ({"on_exceed": "warn"}, "on_exceed='warn'\\): use one of 'veto', 'pause'"),
        ({"chars_per_token": "4"}, "chars_per_token"),
    ],
)
def test_bad_options_say_what_to_fix(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        Budget(**options)


def test_on_exceed_pause_lets_a_person_allow_the_call(reel: Reel) -> None:
    @agentreel.llm
    def chat(messages: list[dict[str, str]]) -> str:
        return "ok"

    hooks.register(Budget(max_tokens_per_session=10, on_exceed="pause", pause_timeout=5))
    resolver = resolve_next("continue")
    results: list[str] = []
    sid = reel.record(lambda: results.append(chat([{"role": "user", "content": "u" * 200}])))
    resolver.join()
    assert results == ["ok"]
    step = reel.steps(sid)[0]
    assert step.attributes["agentreel.pause.resolution"] == "continue"
    assert str(step.attributes["agentreel.pause.reason"]).startswith(
        "over the session token budget: 0 tokens of 10 spent this session"
    )
