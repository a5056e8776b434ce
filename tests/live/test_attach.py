"""``agentreel attach`` as its own process, steering an agent process through stdin."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from agentreel.cli._app import AgentreelGroup, cli
from agentreel.cli._attach import attach
from agentreel.cli._context import CliContext
from agentreel.hooks._client import live_processes

from .conftest import ROOT, Agent, wait_until

# The command as the console script runs it (registered here if _app does not yet).
RUN_CLI = (
    "import sys\n"
    "from agentreel.cli._app import cli\n"
    "from agentreel.cli._attach import attach\n"
    "if 'attach' not in cli.commands:\n"
    "    cli.add_command(attach)\n"
    "sys.exit(cli.main(sys.argv[1:], prog_name='agentreel', standalone_mode=False))\n"
)


@pytest.fixture
def attaching() -> Iterator[list[subprocess.Popen[str]]]:
    """`agentreel attach` processes, killed at the end if a test left them running."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def run_attach(
    started: list[subprocess.Popen[str]], a: Agent, *args: str, commands: str = ""
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("AGENTREEL_CONTROL_DIR", None)
    typed = a.db.parent / "typed.txt"
    typed.write_text(commands)
    with typed.open() as stdin:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN_CLI, "--db", str(a.db), "attach", *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    started.append(proc)
    return proc


def attached(a: Agent) -> bool:
    """Whether `agentreel attach` has set its breakpoint in the agent."""
    return any(
        bp["owner"].startswith("agentreel attach")
        for p in live_processes(a.socket.parent)
        for bp in p.hello["breakpoints"]
    )


def test_attach_shows_the_pause_edits_it_and_detaches(agent: Any, attaching: Any) -> None:
    a: Agent = agent()
    commands = 'input\ncontext\nlaunch\nedit {"text": "from attach"}\nquit\n'
    proc = run_attach(
        attaching, a, a.session_id[:10], "--break", "tool:write_note", commands=commands
    )
    wait_until(lambda: attached(a))
    a.go()
    out, err = proc.communicate(timeout=20)
    code, agent_out, _ = a.finish()
    assert (proc.returncode, err) == (0, "")
    assert code == 0
    # The first call ran with the edited input; quitting at the second resumed it.
    assert agent_out.splitlines()[:4] == [
        "wrote a.txt: from attach",
        "result 11 chars",
        "wrote b.txt: second",
        "result 6 chars",
    ]
    lines = out.splitlines()
    assert lines[0].startswith(f"Attached to pid {a.proc.pid} (")
    assert lines[0].endswith(
        f", recording live-notes ({a.session_id[:12]}). "
        "Paused steps resume by themselves after 300 s."
    )
    prompt = "(attach #2 tool write_note) "
    assert lines[1:] == [
        f"Breakpoint 1: tool:write_note (set by agentreel attach (pid {proc.pid}))",
        "Waiting for a step to pause (Ctrl-C: pause before the next step).",
        f"Paused before #2 tool write_note in live-notes ({a.session_id[:12]}): breakpoint 1 "
        "(tool:write_note); resumes by itself (continue) in 300 s",
        "input: {",
        '  "path": "a.txt",',
        '  "text": "first"',
        "}",
        prompt + "input",
        "{",
        '  "path": "a.txt",',
        '  "text": "first"',
        "}",
        prompt + "context",
        "model call #1 input:",
        "{",
        '  "messages": [',
        "    {",
        '      "role": "user",',
        '      "content": "take two notes"',
        "    }",
        "  ]",
        "}",
        "model call #1 reply:",
        "{",
        '  "role": "assistant",',
        '  "content": "write the notes"',
        "}",
        prompt + "launch",
        "*** unknown command 'launch'; `help` lists the commands",
        prompt + 'edit {"text": "from attach"}',
        "edit: step 2",
        "Waiting for a step to pause (Ctrl-C: pause before the next step).",
        f"Paused before #3 tool write_note in live-notes ({a.session_id[:12]}): breakpoint 1 "
        "(tool:write_note); resumes by itself (continue) in 300 s",
        "input: {",
        '  "path": "b.txt",',
        '  "text": "second"',
        "}",
        "(attach #3 tool write_note) quit",
        "Detached; what this controller paused resumes.",
    ]
    step = a.steps()[("tool", "write_note b.txt")]
    assert step.attributes["agentreel.pause.resolution"] == "continue"
    assert step.attributes["agentreel.decision.hook"] == f"agentreel attach (pid {proc.pid}) left"


def test_attach_on_pause_resolves_every_pause_without_asking(agent: Any, attaching: Any) -> None:
    a: Agent = agent()
    proc = run_attach(attaching, a, "--break", "tool:write_note", "--on-pause", "skip")
    wait_until(lambda: attached(a))
    a.go()
    code, agent_out, _ = a.finish()
    out, err = proc.communicate(timeout=20)
    assert (code, proc.returncode, err) == (0, 0, "")
    assert [line.split(" skipped")[0] for line in agent_out.splitlines()] == [
        "vetoed a.txt",
        "vetoed b.txt",
        "done",
    ]
    assert out.count("skip: step") == 2
    assert out.splitlines()[-1] == "The agent process ended."


def invoke(db: Path, *args: str) -> tuple[int, str]:
    group = AgentreelGroup(name="agentreel", params=cli.params, callback=cli.callback)
    group.add_command(attach)
    err = Console(width=200, no_color=True, file=io.StringIO())
    obj = CliContext(db=str(db), console=Console(file=io.StringIO()), err_console=err)
    result = CliRunner().invoke(group, list(args), obj=obj, catch_exceptions=False)
    assert isinstance(err.file, io.StringIO)
    return result.exit_code, err.file.getvalue()


def test_attach_says_when_no_process_is_there(home: Path) -> None:
    code, err = invoke(home / "reel.db", "attach", "abc123")
    assert code == 1
    assert err == (
        f"agentreel: error: no live agentreel process recording session 'abc123' in "
        f"{home / 'control'}; a process can be attached once it calls agentreel.breakpoint() "
        "or agentreel.hooks.start_control()\n"
    )
