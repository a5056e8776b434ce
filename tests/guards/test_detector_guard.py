"""DetectorGuard: the offline detectors, run on a session while it runs."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from click.testing import CliRunner
from rich.console import Console

import agentreel
from agentreel import hooks
from agentreel.cli._app import cli
from agentreel.cli._context import CliContext
from agentreel.detectors import DetectorConfig, Finding, Rule
from agentreel.errors import ConfigurationError, StepVetoed
from agentreel.guards import DetectorGuard
from agentreel.hooks import FINDINGS
from agentreel.testing import Answer, FakeLLMServer, ToolCall, Usage

from .conftest import Reel, settle

RAN: list[str] = []


@agentreel.tool
def read(path: str) -> str:
    RAN.append(path)
    return f"contents of {path}"


@agentreel.tool
def shell(command: str) -> str:
    RAN.append(command)
    return ""


def test_a_loop_found_online_vetoes_the_next_call(reel: Reel) -> None:
    RAN.clear()
    guard = DetectorGuard(detectors=["loop"], action="veto", min_interval=0)
    hooks.register(guard)
    caught: list[StepVetoed] = []

    def run() -> None:
        for _ in range(3):
            read("a.txt")
            settle()
            assert guard.wait_idle(), "the analysis did not finish"
        try:
            read("a.txt")
        except StepVetoed as exc:
            caught.append(exc)

    sid = reel.record(run)
    assert RAN == ["a.txt"] * 3
    (exc,) = caught
    assert (
        exc.reason == "loop repeated-step: steps 1, 2 and 3: the same call of read 3 times in a row"
    )
    assert [f.kind for f in guard.findings] == ["repeated-step"]
    assert reel.steps(sid)[3].attributes["agentreel.decision.hook"] == "DetectorGuard"


def test_alert_calls_back_once_per_finding_and_lets_the_run_go_on(reel: Reel) -> None:
    RAN.clear()
    alerts: list[Finding] = []
    config = DetectorConfig(rules=(Rule("no-force-push", pattern=r"push --force"),))
    guard = DetectorGuard(
        detectors=["context-drift"], config=config, action="alert", alert=alerts.append,
        min_interval=0,
    )  # fmt: skip
    hooks.register(guard)

    def run() -> None:
        shell("git push --force origin main")
        settle()
        assert guard.wait_idle()
        shell("git status")
        settle()
        assert guard.wait_idle()

    reel.record(run)
    assert RAN == ["git push --force origin main", "git status"]
    (finding,) = alerts
    assert (finding.detector, finding.kind, finding.steps) == (
        "context-drift",
        "rule-violated",
        (1,),
    )
    assert "no-force-push" in finding.message
    assert list(guard.findings) == alerts
    assert guard.failures == 0 and guard.analyses >= 2


def test_record_keeps_findings_without_touching_the_run(reel: Reel) -> None:
    RAN.clear()
    guard = DetectorGuard(detectors="loop", min_interval=0)
    hooks.register(guard)

    def run() -> None:
        for _ in range(4):
            read("b")
        settle()
        assert guard.wait_idle()

    reel.record(run)
    assert RAN == ["b"] * 4
    assert [f.kind for f in guard.findings] == ["repeated-step"]


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"detectors": ["loops"]}, "detectors='loops'"),
        ({"action": "alert"}, "needs alert="),
        ({"min_interval": -1}, "must be a number of seconds >= 0"),
    ],
)
def test_bad_options_say_what_to_fix(options: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        DetectorGuard(**options)  # type: ignore[arg-type]


# -- findings recorded into the session ---------------------------------------------------


@agentreel.tool
def run_tests(path: str) -> str:
    RAN.append(path)
    raise RuntimeError(f"ModuleNotFoundError: No module named 'arith' (collecting {path})")


def _agent(server: FakeLLMServer, guard: DetectorGuard) -> Callable[[], None]:
    """A tool-calling agent on the openai client: it retries a failing test run unchanged."""

    def run() -> None:
        messages: list[dict[str, Any]] = [{"role": "user", "content": "make the tests pass"}]
        with openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0) as client:
            for _ in range(4):
                reply = client.chat.completions.create(model="gpt-test", messages=messages)  # type: ignore[arg-type]
                message = reply.choices[0].message
                if not message.tool_calls:
                    return
                call = message.tool_calls[0]
                try:
                    result = run_tests(**json.loads(call.function.arguments))  # type: ignore[union-attr]
                except RuntimeError as exc:
                    result = f"error: {exc}"
                messages += [
                    {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
                    {"role": "tool", "tool_call_id": call.id, "content": result},
                ]
                # Stands for the seconds a model takes: the analysis has run by the next call.
                settle()
                assert guard.wait_idle(), "the analysis did not finish"

    return run


def _script(server: FakeLLMServer) -> None:
    retry = ToolCall(name="run_tests", arguments={"path": "tests/test_arith.py"})
    server.reply(*[Answer(tool_calls=[retry], usage=Usage(input=20, output=5))] * 3)
    server.reply(Answer(text="All tests pass now.", usage=Usage(input=30, output=5)))


def _cli(path: Path, *args: str) -> str:
    console = Console(width=200, no_color=True, file=io.StringIO())
    obj = CliContext(db=str(path), console=console, err_console=console, clock=time.time_ns)
    result = CliRunner().invoke(cli, list(args), obj=obj)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


@pytest.mark.usefixtures("instrumented")
def test_record_writes_findings_into_the_session_for_rca_and_replay(
    reel: Reel, server: FakeLLMServer
) -> None:
    RAN.clear()
    _script(server)
    guard = DetectorGuard(action="record", min_interval=0)
    hooks.register(guard)
    run = _agent(server, guard)
    sid = reel.record(run)
    assert RAN == ["tests/test_arith.py"] * 3  # recording changed nothing the agent did
    steps = reel.steps(sid)
    assert [(s.kind, s.name) for s in steps] == [
        ("llm", "openai.chat.completions"),
        ("tool", "run_tests"),
    ] * 3 + [("llm", "openai.chat.completions")]
    # Known after step 4 (the second failure) ended: written onto step 5, the next call.
    carrying = [s for s in steps if FINDINGS in s.attributes]
    assert [s.number for s in carrying] == [5]
    (recorded,) = carrying[0].attributes[FINDINGS]
    assert (recorded["detector"], recorded["kind"], recorded["steps"]) == (
        "tool-misuse",
        "retried-unchanged",
        [2, 4],
    )
    assert recorded["message"].startswith("steps 2 and 4: run_tests failed and was called again")
    assert "agentreel.decision" not in carrying[0].attributes  # a note, not a decision
    # The third failure grows the same finding (same first step): not written twice.
    assert [f.kind for f in guard.findings] == ["retried-unchanged"]
    assert guard.unrecorded == 0

    # rca reads it with the offline findings: one finding, marked as recorded online.
    report = _cli(reel.path, "rca", sid)
    row = next(line for line in report.splitlines() if "retried-unchanged" in line)
    assert "(also recorded while the session ran, at step 5)" in row
    assert report.count("retried-unchanged") == 1
    doc = json.loads(_cli(reel.path, "rca", sid, "--json"))
    (finding,) = [f for f in doc["findings"] if f["kind"] == "retried-unchanged"]
    assert (finding["steps"], finding["recorded_at"], finding["offline"]) == ([2, 4, 6], 5, True)

    # A replay reproduces the session; the guard is not asked about served steps.
    with agentreel.replay(sid, db=reel.path) as r:
        run()
    assert r.result.ok, r.result.divergences
    assert RAN == ["tests/test_arith.py"] * 3
    assert len(server.requests) == 4


def test_a_finding_only_the_guard_could_make_is_reported_as_recorded(reel: Reel) -> None:
    RAN.clear()
    config = DetectorConfig(rules=(Rule("no-force-push", pattern=r"push --force"),))
    guard = DetectorGuard(detectors=["context-drift"], config=config, min_interval=0)
    hooks.register(guard)

    def run() -> None:
        shell("git push --force origin main")
        settle()
        assert guard.wait_idle()
        shell("git status")

    sid = reel.record(run)
    (recorded,) = reel.steps(sid)[1].attributes[FINDINGS]
    assert (recorded["kind"], recorded["steps"]) == ("rule-violated", [1])
    # rca runs without the guard's rule: the finding is the recording's alone.
    doc = json.loads(_cli(reel.path, "rca", sid, "--json"))
    (finding,) = doc["findings"]
    assert (finding["kind"], finding["recorded_at"], finding["offline"]) == (
        "rule-violated",
        2,
        False,
    )
    assert doc["verdict"] == "flagged"
    report = _cli(reel.path, "rca", sid)
    assert "(recorded while the session ran, at step 2; this analysis did not find it again)" in (
        report
    )
    # The postmortem lists it with the period's drift incidents, once.
    postmortem = json.loads(_cli(reel.path, "postmortem", "--json"))
    assert [(f["kind"], f["recorded_at"], f["offline"]) for f in postmortem["drift"]] == [
        ("rule-violated", 2, False)
    ]


def test_a_finding_after_the_last_call_is_counted_as_unrecorded(reel: Reel) -> None:
    RAN.clear()
    guard = DetectorGuard(detectors="loop", min_interval=0)
    hooks.register(guard)

    def run() -> None:
        for _ in range(4):
            read("c")
        settle()
        assert guard.wait_idle()  # found, and no call left to write it onto

    sid = reel.record(run)
    assert guard.wait_idle()
    assert [f.kind for f in guard.findings] == ["repeated-step"]
    assert guard.unrecorded == 1
    assert not any(FINDINGS in s.attributes for s in reel.steps(sid))


def test_a_guard_does_not_act_on_what_another_guard_recorded(reel: Reel) -> None:
    RAN.clear()
    config = DetectorConfig(rules=(Rule("no-force-push", pattern=r"push --force"),))
    ruled = DetectorGuard(detectors=["context-drift"], config=config, min_interval=0)
    plain = DetectorGuard(detectors=["context-drift"], action="veto", min_interval=0)
    hooks.register(ruled, name="ruled")
    hooks.register(plain, name="plain")

    def run() -> None:
        for command in ("git push --force origin main", "git status", "git log"):
            shell(command)
            settle()
            assert ruled.wait_idle() and plain.wait_idle()

    sid = reel.record(run)
    assert RAN == ["git push --force origin main", "git status", "git log"]  # nothing vetoed
    assert [f.kind for f in ruled.findings] == ["rule-violated"]
    assert list(plain.findings) == []  # it read ruled's finding back, and let it be
    recorded = [
        (s.number, f["kind"]) for s in reel.steps(sid) for f in s.attributes.get(FINDINGS, [])
    ]
    assert recorded == [(2, "rule-violated")]
