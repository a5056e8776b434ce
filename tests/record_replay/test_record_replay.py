"""`agentreel record` then `agentreel replay` of a real program using the real openai client."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from agentreel.storage import SQLiteStore
from agentreel.testing import FakeLLMServer

from .conftest import Cli

ID = re.compile(r"recorded session ([0-9a-f]{32})")


def _record(cli: Cli, *args: str) -> str:
    ran = cli("record", *cli.agent(*args))
    assert ran.code == 0, ran.err
    found = ID.search(ran.err)
    assert found is not None, ran.err
    return found.group(1)


def test_record_runs_the_program_and_names_the_session(cli: Cli, server: FakeLLMServer) -> None:
    ran = cli("record", "--name", "weather", "--tag", "nightly", *cli.agent())
    assert ran.code == 0, ran.err
    assert ran.out == "model: echo: weather in Paris?\nmodel: echo: it is 21 degrees\n"
    found = ID.search(ran.err)
    assert found is not None
    assert f"agentreel show {found.group(1)[:12]}" in ran.err
    assert len(server.requests) == 2
    store = SQLiteStore(cli.db)
    try:
        session = store.get_session(found.group(1))
        steps = store.get_steps(found.group(1))
    finally:
        store.close()
    assert (session.name, session.tags) == ("weather", ("nightly",))
    assert [(s.kind, s.name) for s in steps] == [
        ("llm", "openai.chat.completions"),
        ("tool", "forecast"),
        ("llm", "openai.chat.completions"),
    ]


def test_replay_serves_the_recording_without_the_server(cli: Cli, server: FakeLLMServer) -> None:
    session_id = _record(cli)
    server.stop()
    ran = cli("replay", session_id[:8], *cli.agent())
    assert ran.code == 0, ran.err
    assert ran.out.startswith("model: echo: weather in Paris?\nmodel: echo: it is 21 degrees\n")
    assert f"replay of session {session_id[:12]} (strict): matched the recording" in ran.out
    assert "3 steps served from the recording, 0 calls run live" in ran.out
    assert len(server.requests) == 2


def test_a_changed_prompt_is_a_divergence_and_never_reaches_the_model(
    cli: Cli, server: FakeLLMServer
) -> None:
    session_id = _record(cli)
    ran = cli("replay", session_id, "--json", *cli.agent("--prompt", "weather in Rome?"))
    assert ran.code == 1, ran.err
    result = ran.json()  # stdout holds the JSON alone; the program's output went to stderr
    assert (result["ok"], result["session_id"], result["exit_code"]) == (False, session_id, 1)
    first = result["divergences"][0]
    assert (first["kind"], first["recorded_step"], first["step_name"]) == (
        "mismatch",
        1,
        "openai.chat.completions",
    )
    change = first["changes"][0]
    assert change["path"] == "input.body.messages[0].content"
    assert (change["before"], change["after"]) == ("weather in Paris?", "weather in Rome?")
    assert len(server.requests) == 2  # strict: the live server was up and never asked


def test_fork_at_the_tool_serves_the_edited_output_and_runs_the_rest_live(
    cli: Cli, server: FakeLLMServer, tmp_path: Path
) -> None:
    session_id = _record(cli)
    edited = tmp_path / "out.json"
    edited.write_text(json.dumps({"city": "Paris", "celsius": 35}))
    ran = cli("replay", session_id, "--fork-at", "2", "--output-json", str(edited), *cli.agent())
    assert ran.code == 0, ran.err
    assert "model: echo: it is 35 degrees\n" in ran.out
    assert f"forked from session {session_id[:12]} at step 2" in ran.out
    assert len(server.requests) == 3
    assert server.requests[-1].body["messages"][0]["content"] == "it is 35 degrees"


def test_fork_with_edit_uses_what_the_editor_saved(cli: Cli, tmp_path: Path) -> None:
    session_id = _record(cli)
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('21', '40'))\n"
    )
    ran = cli(
        "replay",
        session_id,
        "--fork-at",
        "2",
        "--edit",
        "--json",
        *cli.agent(),
        env={"EDITOR": f"{sys.executable} {editor}"},
    )
    assert ran.code == 0, ran.err
    assert "model: echo: it is 40 degrees" in ran.err
    assert ran.json()["forked_from"] == {"session_id": session_id, "step": 2}


def test_a_program_that_configures_agentreel_itself_is_recorded_and_replayed(
    cli: Cli, server: FakeLLMServer
) -> None:
    ran = cli("record", "--json", *cli.agent("--configure"))
    assert ran.code == 0, ran.err
    outcome = ran.json()
    assert outcome["exit_code"] == 0
    assert outcome["sessions"] == [outcome["session_id"]]
    store = SQLiteStore(cli.db)
    try:
        assert store.get_session(outcome["session_id"]).name == "own-session"
        assert len(store.get_steps(outcome["session_id"])) == 3
    finally:
        store.close()
    server.stop()
    replayed = cli("replay", outcome["session_id"], "--json", *cli.agent("--configure"))
    assert replayed.code == 0, replayed.err
    assert (replayed.json()["ok"], replayed.json()["served"]) == (True, 3)


def test_record_exits_with_the_programs_code(cli: Cli) -> None:
    ran = cli("record", "--json", "--", sys.executable, "-c", "import sys; sys.exit(3)")
    assert ran.code == 3
    assert ran.json() == {"session_id": None, "sessions": [], "exit_code": 3}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("replay", "ffff"), "agentreel: error: no session matches 'ffff'"),
        (("replay", "ffff", "--edit"), "need --fork-at"),
    ],
)
def test_replay_errors_exit_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    _record(cli)
    ran = cli(*args, *cli.agent())
    assert ran.code == 2
    assert message in ran.err
    assert ran.out == ""


def test_fork_beyond_the_recording_exits_2(cli: Cli) -> None:
    session_id = _record(cli)
    ran = cli("replay", session_id, "--fork-at", "9", *cli.agent())
    assert ran.code == 2
    assert ran.err.startswith("agentreel: error: ") and ran.err.count("\n") == 1
