"""Deciders: first decision wins, recorded on the step, reproduced by replay."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.errors import StepVetoed
from agentreel.hooks import Allow, Call, Replace, Veto, hookimpl

from .conftest import Reel

RAN: list[str] = []


@agentreel.tool
def delete(path: str) -> str:
    RAN.append(f"delete {path}")
    return f"deleted {path}"


@agentreel.tool
def add(a: int, b: int) -> int:
    RAN.append("add")
    return a + b


@agentreel.tool
async def fetch(url: str) -> str:
    RAN.append(f"fetch {url}")
    return f"<html>{url}</html>"


class Policy:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def before_tool_call(self, call: Call) -> Any:
        self.asked.append(call.name)
        if call.name == "delete" and call.arguments.get("path") == "/":
            return Veto("deleting / is not allowed")
        if call.name == "add":
            return Replace(input={"b": 100}, reason="b is always 100 here")
        if call.name == "fetch":
            return Replace(output="<cached/>")
        return None


@pytest.fixture(autouse=True)
def _clear() -> None:
    RAN.clear()


def test_a_veto_reaches_the_caller_and_is_recorded(reel: Reel) -> None:
    policy = Policy()
    hooks.register(policy, name="policy")
    caught: list[StepVetoed] = []

    def run() -> None:
        assert delete("/tmp/x") == "deleted /tmp/x"
        try:
            delete("/")
        except StepVetoed as exc:
            caught.append(exc)

    sid = reel.record(run)
    assert RAN == ["delete /tmp/x"]
    (exc,) = caught
    assert exc.hook == "policy" and exc.reason == "deleting / is not allowed"
    assert str(exc) == "tool step 2 (delete) was vetoed by policy: deleting / is not allowed"
    first, second = reel.steps(sid)
    assert "agentreel.decision" not in first.attributes
    assert second.error is not None and second.error.type == "agentreel.errors.StepVetoed"
    assert second.attributes["agentreel.decision"] == "veto"
    assert second.attributes["agentreel.decision.hook"] == "policy"
    assert second.attributes["agentreel.decision.reason"] == "deleting / is not allowed"


def test_replace_input_runs_the_code_with_the_new_arguments(reel: Reel) -> None:
    hooks.register(Policy())
    results: list[int] = []
    sid = reel.record(lambda: results.append(add(1, 2)))
    assert results == [101] and RAN == ["add"]
    (step,) = reel.steps(sid)
    assert step.attributes["agentreel.decision"] == "replace"
    assert step.attributes["agentreel.decision.input"] == {"b": 100}
    assert step.attributes["agentreel.decision.reason"] == "b is always 100 here"


def test_replace_output_skips_the_code_in_an_async_agent(reel: Reel) -> None:
    hooks.register(Policy())
    results: list[str] = []

    def run() -> None:
        async def main() -> None:
            results.extend(await asyncio.gather(fetch("a"), fetch("b")))

        asyncio.run(main())

    sid = reel.record(run)
    assert results == ["<cached/>", "<cached/>"] and RAN == []
    assert [s.attributes["agentreel.decision"] for s in reel.steps(sid)] == ["replace"] * 2


def test_the_first_decision_in_priority_order_wins(reel: Reel) -> None:
    order: list[str] = []

    class Say:
        def __init__(self, name: str, decision: Any) -> None:
            self.name, self.decision = name, decision

        def before_tool_call(self, call: Call) -> Any:
            order.append(self.name)
            return self.decision

    hooks.register(Say("low", Veto("low says no")), priority=-5)
    hooks.register(Say("quiet", None), priority=10)
    hooks.register(Say("high", Allow("high says yes")), priority=5)
    sid = reel.record(lambda: delete("/"))
    assert order == ["quiet", "high"]
    assert RAN == ["delete /"]
    (step,) = reel.steps(sid)
    assert step.attributes["agentreel.decision"] == "allow"
    assert step.attributes["agentreel.decision.hook"] == "high"


def test_a_failing_decider_fails_open_or_closed_as_declared(reel: Reel) -> None:
    class Open:
        def before_tool_call(self, call: Call) -> Any:
            raise RuntimeError("open bug")

    class Closed:
        @hookimpl(on_error="veto")
        def before_tool_call(self, call: Call) -> Any:
            raise RuntimeError("closed bug")

    hooks.register(Open(), priority=1)
    sid = reel.record(lambda: add(1, 2))
    assert RAN == ["add"]
    assert agentreel.stats().get("hook_errors") == 1
    hooks.register(Closed())
    caught: list[BaseException] = []

    def run() -> None:
        with pytest.raises(StepVetoed) as info:
            add(1, 2)
        caught.append(info.value)

    sid = reel.record(run)
    assert "hook Closed.before_tool_call raised RuntimeError: closed bug and fails closed" in str(
        caught[0]
    )
    assert reel.steps(sid)[0].attributes["agentreel.decision"] == "veto"


def test_a_hanging_decider_is_cut_off_and_disabled(reel: Reel) -> None:
    release = threading.Event()

    class Slow:
        @hookimpl(timeout=0.2)
        def before_tool_call(self, call: Call) -> Any:
            release.wait(5)
            return Veto("too late")

    hooks.register(Slow())
    results: list[int] = []
    started = time.monotonic()
    try:
        reel.record(lambda: results.extend([add(1, 1), add(2, 2)]))
    finally:
        release.set()
    took = time.monotonic() - started
    # One timeout (0.2 s), then the hook is disabled: the second call is not held.
    assert results == [2, 4]
    assert took < 1.5
    assert hooks.get_manager().disabled == {"Slow.before_tool_call"}


def test_a_decider_returning_garbage_is_counted_and_ignored(reel: Reel) -> None:
    class Garbage:
        def before_tool_call(self, call: Call) -> Any:
            return "veto!"

    hooks.register(Garbage())
    results: list[int] = []
    reel.record(lambda: results.append(add(2, 3)))
    assert results == [5]


def test_async_deciders_are_awaited(reel: Reel) -> None:
    class AsyncPolicy:
        async def before_tool_call(self, call: Call) -> Any:
            await asyncio.sleep(0)
            return Veto("async no")

    hooks.register(AsyncPolicy())
    with pytest.raises(StepVetoed, match="async no"):
        reel.record(lambda: delete("x"))


def test_a_with_block_step_is_vetoed_where_it_starts(reel: Reel) -> None:
    class NoShell:
        def before_tool_call(self, call: Call) -> Any:
            return Veto("no shell") if call.name == "shell" else None

    hooks.register(NoShell())
    ran: list[str] = []

    def run() -> None:
        with pytest.raises(StepVetoed, match="no shell"):
            with agentreel.step("tool", "shell"):
                ran.append("inside")

    sid = reel.record(run)
    assert ran == []
    assert reel.steps(sid)[0].attributes["agentreel.decision"] == "veto"


def test_an_async_with_block_step_is_vetoed_where_it_starts(reel: Reel) -> None:
    # An `async with` block cannot be skipped either: the veto is raised there.
    class NoShell:
        def before_tool_call(self, call: Call) -> Any:
            return Veto("no shell") if call.name == "shell" else None

    hooks.register(NoShell())
    ran: list[str] = []

    async def agent() -> None:
        with pytest.raises(StepVetoed, match="no shell"):
            async with agentreel.step("tool", "shell"):
                ran.append("inside")

    sid = reel.record(lambda: asyncio.run(agent()))
    assert ran == []
    assert reel.steps(sid)[0].attributes["agentreel.decision"] == "veto"


def test_replay_reproduces_decisions_without_asking_again(reel: Reel) -> None:
    policy = Policy()
    hooks.register(policy)
    outputs: list[Any] = []

    def run() -> None:
        outputs.append(add(1, 2))
        try:
            delete("/")
        except StepVetoed as exc:
            outputs.append(exc.reason)

    sid = reel.record(run)
    assert outputs == [101, "deleting / is not allowed"] and policy.asked == ["add", "delete"]
    outputs.clear()
    RAN.clear()
    with agentreel.replay(sid, db=reel.path) as r:
        run()
    assert r.result.ok, r.result.divergences
    assert policy.asked == ["add", "delete"]  # not asked again
    assert RAN == []  # served from the recording
    assert outputs == [101, "deleting / is not allowed"]
    new = reel.steps(r.result.new_session_id)
    assert [s.attributes.get("agentreel.decision") for s in new] == ["replace", "veto"]


def test_a_fail_closed_decider_that_hangs_keeps_vetoing(reel: Reel) -> None:
    release = threading.Event()
    calls: list[str] = []

    class Guard:
        @hookimpl(timeout=0.2, on_error="veto")
        def before_tool_call(self, call: Call) -> Any:
            calls.append(call.name)
            release.wait(5)
            return None

    hooks.register(Guard())
    reasons: list[str] = []

    def run() -> None:
        for _ in range(2):
            try:
                add(1, 1)
            except StepVetoed as exc:
                reasons.append(str(exc.reason))

    started = time.monotonic()
    try:
        reel.record(run)
    finally:
        release.set()
    assert time.monotonic() - started < 1.5
    assert RAN == [] and calls == ["add"]  # asked once, then vetoed without asking
    assert reasons == [
        "hook Guard.before_tool_call timed out after 0.2 s and fails closed",
        "hook Guard.before_tool_call was disabled after timing out, and fails closed",
    ]


def test_a_model_calls_messages_are_read_from_its_http_body() -> None:
    request = {
        "method": "POST",
        "url": "https://api.example/v1/chat/completions",
        "headers": {},
        "body": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    }
    call = Call(
        session_id="s", session_name="n", number=1, parent_number=None, kind="llm",
        name="openai.chat.completions", input=request,
    )  # fmt: skip
    assert call.messages == [{"role": "user", "content": "hi"}]
    assert call.request == request["body"]
    plain = Call(
        session_id="s", session_name="n", number=1, parent_number=None, kind="llm",
        name="chat", input={"messages": [{"role": "user", "content": "yo"}]},
    )  # fmt: skip
    assert plain.messages == [{"role": "user", "content": "yo"}]
