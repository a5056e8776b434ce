"""The contract between the command and its child, and what the child records on failure."""

from __future__ import annotations

import sys

import pytest

from agentreel.bootstrap import ENV_MANAGED, ENV_REPLAY, ChildPlan, site_dir
from agentreel.cli._replay_child import session_name
from agentreel.errors import ConfigurationError
from agentreel.model import Status
from agentreel.storage import SQLiteStore

from .conftest import Cli

FAILING = (
    "import agentreel\n"
    "@agentreel.tool\n"
    "def look() -> int:\n"
    "    return 1\n"
    "look()\n"
    "raise ValueError('boom')\n"
)


def test_a_plan_survives_the_environment() -> None:
    plan = ChildPlan(
        result_file="/tmp/r.json",
        db="/tmp/x.db",
        name="agent.py",
        tags=("a", "b"),
        replay="ab" * 16,
        mode="new-steps",
        fork_at=3,
        after_fork="matching",
        edit_file="/tmp/e.json",
    )
    env = plan.environ({"PYTHONPATH": "/mine", ENV_REPLAY: "stale"})
    assert env["PYTHONPATH"].split(":") == [str(site_dir()), "/mine"]
    assert (site_dir() / "sitecustomize.py").is_file()
    assert ChildPlan.from_environ(env) == plan


def test_a_recording_plan_carries_no_replay_from_the_parent() -> None:
    env = ChildPlan(result_file="/tmp/r.json").environ({ENV_REPLAY: "stale", ENV_MANAGED: "0"})
    assert ENV_REPLAY not in env
    plan = ChildPlan.from_environ(env)
    assert plan is not None and plan.replay is None


def test_other_processes_are_left_alone() -> None:
    assert ChildPlan.from_environ({}) is None
    with pytest.raises(ConfigurationError, match="start the program through the command"):
        ChildPlan.from_environ(
            {
                ENV_MANAGED: "1",
                "AGENTREEL_RESULT_FILE": "x",
                ENV_REPLAY: "a",
                "AGENTREEL_FORK_AT": "two",
            }
        )


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["python", "agents/triage.py", "--fast"], "triage.py"),
        (["python", "-u", "-m", "myagent.main"], "myagent.main"),
        (["python", "-c", "pass"], "python -c"),
        (["/usr/bin/myagent"], "myagent"),
    ],
)
def test_the_session_is_named_after_the_script(command: list[str], name: str) -> None:
    assert session_name(command) == name


def test_a_program_that_crashes_is_recorded_as_failed(cli: Cli) -> None:
    ran = cli("record", "--json", "--", sys.executable, "-c", FAILING)
    assert ran.code == 1
    assert "ValueError: boom" in ran.err
    session_id = ran.json()["session_id"]
    store = SQLiteStore(cli.db)
    try:
        session = store.get_session(session_id)
    finally:
        store.close()
    assert session.status is Status.ERROR
    assert session.error is not None and session.error.message == "boom"
