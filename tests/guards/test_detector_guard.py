"""DetectorGuard: the offline detectors, run on a session while it runs."""

from __future__ import annotations

import pytest

import agentreel
from agentreel import hooks
from agentreel.detectors import DetectorConfig, Finding, Rule
from agentreel.errors import ConfigurationError, StepVetoed
from agentreel.guards import DetectorGuard

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
