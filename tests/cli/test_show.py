"""``agentreel show``: the session view, one step in full, and their JSON."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from agentreel.cli._show import render_session
from agentreel.model import Session, Status
from agentreel.payloads import PayloadEncoder
from agentreel.storage import SQLiteStore, WriteBatch

from ._reel import CHAT_INPUT, CHAT_OUTPUT, FIX_ID, NOW, T0, TRACEBACK, row, write_reel
from ._run import Invoke, invoke_cli, tidy

SESSION = """\
fix-failing-test  4bf92f3577b3
id        4bf92f3577b34da6a3ce929d0e0e4736
status    error
project   default
tags      demo, flaky
metadata  repo=calc
started   2025-01-02 14:03:05 (3h ago)
duration  12.3s
totals    6 steps, 2 failed · 12.7k tokens (11.7k in, 1.0k out) · $0.0123
error     ValueError: boom

#  kind   name             duration  tokens      cost  status   error
────────────────────────────────────────────────────────────────────────────────
1  agent  fixer               12.3s  Σ12.7k  Σ$0.0123  error
2  plan   ├─ make-plan        350ms       -         -  ok
3  llm    ├─ call-model        1.2s    1.5k   $0.0012  ok
4  tool   │  └─ run_tests     100ms       -         -  error    ValueError: boom
5  llm    └─ summarize        10.0s   11.2k   $0.0111  ok
6  event  done                  0ms       -         -  ok
Σ: an agent's totals, with every step under it.
"""

RUNNING = """\
live-agent  4bf9aa00d2c6
id        4bf9aa00d2c64ef0b1e2a3b4c5d6e7f8
status    running
project   default
started   2025-01-02 17:02:00 (1m ago)
duration  running for 1m05s
totals    3 steps · 0 tokens (0 in, 0 out) · $0

#  kind   name          duration  tokens     cost  status   error
─────────────────────────────────────────────────────────────────
1  agent  watcher         1m05s…       -        -  running
2  tool   ├─ fetch          1.0s       -        -  ok
3  llm    └─ think         4.2s…       -        -  running
Σ: an agent's totals, with every step under it.
"""

STEP_3 = r"""Step 3 of 6  llm  call-model
session   fix-failing-test (4bf92f3577b3)
status    ok
parent    1 (agent fixer)
started   2025-01-02 14:03:05.400
duration  1.2s
model     gpt-4o-mini
usage     1,200 in (200 cached), 300 out, 1,500 total
cost      $0.0012
span id   0000000000000003

Attributes ─────────────────────────────────────────────────────────────────────────────────────────────────────────────
{
  "temperature": 0
}

Input as a conversation ────────────────────────────────────────────────────────────────────────────────────────────────
system
  You fix failing tests.
user
  tests/test_calc.py fails: [bold]1 + 1 == 3[/bold]

Input ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────
{
  "model": "gpt-4o-mini",
  "messages": [
    {
      "role": "system",
      "content": "You fix failing tests."
    },
    {
      "role": "user",
      "content": "tests/test_calc.py fails: [bold]1 + 1 == 3[/bold]"
    }
  ]
}

Output as a conversation ───────────────────────────────────────────────────────────────────────────────────────────────
assistant
  → calls run_tests({"path": "tests/"})

Output ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────
{
  "role": "assistant",
  "content": null,
  "tool_calls": [
    {
      "id": "call_1",
      "type": "function",
      "function": {
        "name": "run_tests",
        "arguments": "{\"path\": \"tests/\"}"
      }
    }
  ]
}
"""  # noqa: E501

STEP_4 = """\
Step 4 of 6  tool  run_tests
session   fix-failing-test (4bf92f3577b3)
status    error
parent    3 (llm call-model)
started   2025-01-02 14:03:06.700
duration  100ms
span id   0000000000000004

Input ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────
{
  "path": "tests/"
}

Error ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────
ValueError: boom
Traceback (most recent call last):
  File "agent.py", line 12, in run_tests
    raise ValueError('boom')
ValueError: boom
"""  # noqa: E501


def test_show_prints_the_header_and_the_step_tree(invoke: Invoke) -> None:
    run = invoke("show", "4bf92")
    assert run.exit_code == 0
    assert run.text == SESSION
    assert run.err == ""


@pytest.mark.parametrize("session_id", [FIX_ID, "4BF92F", "4bf92f3577b3"])
def test_show_accepts_full_ids_and_any_unique_prefix(invoke: Invoke, session_id: str) -> None:
    assert invoke("show", session_id.lower()).text == SESSION


def test_show_marks_running_steps_with_their_elapsed_time(invoke: Invoke) -> None:
    assert invoke("show", "4bf9a").text == RUNNING


def test_show_step_prints_everything_with_payloads_and_the_conversation(invoke: Invoke) -> None:
    run = invoke("show", "4bf92", "--step", "3")
    assert run.exit_code == 0
    assert run.text == STEP_3


def test_show_step_prints_the_error_with_its_traceback(invoke: Invoke) -> None:
    assert invoke("show", "4bf92", "--step", "4").text == STEP_4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["show", "4bf9"],
            "session id prefix '4bf9' matches 2 sessions "
            "(4bf92f3577b34da6a3ce929d0e0e4736, 4bf9aa00d2c64ef0b1e2a3b4c5d6e7f8); "
            "type more characters",
        ),
        (["show", "ffff"], "no session matches 'ffff'; `agentreel ls` lists the recorded sessions"),
        (
            ["show", "4bf92", "--step", "9"],
            "session 4bf92f3577b3 has no step 9; its steps are numbered 1 to 6",
        ),
    ],
)
def test_show_lookup_failures_are_one_line_errors(
    invoke: Invoke, args: list[str], message: str
) -> None:
    run = invoke(*args)
    assert run.exit_code == 1
    assert run.out == ""
    assert run.err == f"agentreel: error: {message}\n"


def test_show_json_lists_steps_in_tree_order_with_rollups(invoke: Invoke) -> None:
    data = json.loads(invoke("show", "4bf92", "--json").out)
    assert data["session"]["id"] == FIX_ID
    assert data["session"]["steps"] == 6
    steps = data["steps"]
    assert [(s["number"], s["parent"], s["depth"]) for s in steps] == [
        (1, None, 0),
        (2, 1, 1),
        (3, 1, 1),
        (4, 3, 2),
        (5, 1, 1),
        (6, None, 0),
    ]
    agent = steps[0]
    assert agent["rollup"]["steps"] == 5
    assert agent["rollup"]["errors"] == 2
    assert agent["rollup"]["tokens"]["total"] == 12_700
    assert agent["rollup"]["cost"] == pytest.approx(0.0123)
    model_call = steps[2]
    assert model_call["kind"] == "llm"
    assert model_call["model"] == "gpt-4o-mini"
    assert model_call["tokens"] == {
        "input": 1200,
        "output": 300,
        "cached": 200,
        "reasoning": 0,
        "total": 1500,
    }
    assert model_call["cost"] == 0.0012
    assert model_call["duration_ms"] == 1200.0
    assert model_call["started_at"] == "2025-01-02T14:03:05.400000Z"
    assert model_call["attributes"] == {"temperature": 0}
    assert model_call["rollup"]["steps"] == 2  # itself and the failed tool call
    failed = steps[3]
    assert failed["status"] == "error"
    assert failed["error"] == {"type": "ValueError", "message": "boom", "traceback": TRACEBACK}


def test_show_step_json_decodes_the_payloads(invoke: Invoke) -> None:
    data = json.loads(invoke("show", "4bf92", "--step", "3", "--json").out)
    assert data["session"]["name"] == "fix-failing-test"
    step = data["step"]
    assert step["number"] == 3
    assert step["input"] == CHAT_INPUT
    assert step["output"] == CHAT_OUTPUT
    assert step["input_error"] is None
    assert step["output_error"] is None
    no_output = json.loads(invoke("show", "4bf92", "--step", "4", "--json").out)["step"]
    assert no_output["input"] == {"path": "tests/"}
    assert no_output["output"] is None


def _store_with(tmp_path: Path, session: Session, *steps: object, blobs: dict[str, bytes]) -> Path:
    batch = WriteBatch(sessions=[session], steps=list(steps), blobs=blobs)  # type: ignore[arg-type]
    return write_reel(tmp_path / "reel.db", batch)


def test_show_step_with_a_missing_payload_shows_the_rest(tmp_path: Path) -> None:
    sid = "ab" * 16
    stored = PayloadEncoder().encode({"answer": 42})
    absent = "0" * 64
    db = _store_with(
        tmp_path,
        Session(id=sid, name="partial", status=Status.OK, started_at=T0, ended_at=T0 + 1),
        row(sid, 1, input_ref=absent, output_ref=stored.root),
        blobs=stored.blobs,
    )
    run = invoke_cli(db, ["show", "ab", "--step", "1"])
    assert run.exit_code == 0
    text = run.text
    assert "payload 0000000000000000 is referenced but not stored" in text
    assert text.index("Input ─") < text.index("payload 0000") < text.index("Output ─")
    assert text.endswith('{\n  "answer": 42\n}\n')
    step = json.loads(invoke_cli(db, ["show", "ab", "--step", "1", "--json"]).out)["step"]
    assert step["input"] is None
    assert step["input_error"].startswith("payload 0000000000000000 is referenced")
    assert step["output"] == {"answer": 42}


def test_show_prints_recorded_text_inert(tmp_path: Path) -> None:
    sid = "cd" * 16
    hostile = "[bold red]pwned[/] :thumbs_up: [link=http://x]y[/link]"
    db = _store_with(
        tmp_path,
        Session(id=sid, name=hostile, tags=("[b]t[/b]",), started_at=T0, ended_at=T0 + 1),
        row(sid, 1, name=hostile),
        blobs={},
    )
    run = invoke_cli(db, ["show", "cd"])
    assert run.text.splitlines()[0] == f"{hostile}  cdcdcdcdcdcd"
    assert f"1  tool  {hostile}" in run.text
    assert "tags      [b]t[/b]" in run.text
    # ls cuts long names at 40 characters, literally too.
    assert "  [bold red]pwned[/] :thumbs_up: [link=ht…  " in invoke_cli(db, ["ls"]).text


def test_show_a_session_without_steps(tmp_path: Path) -> None:
    sid = "ef" * 16
    db = _store_with(tmp_path, Session(id=sid, name="quiet", started_at=NOW - 2_000_000), blobs={})
    run = invoke_cli(db, ["show", "ef"])
    assert run.exit_code == 0
    assert run.text.endswith(
        "duration  running for 2.0ms\n"
        "totals    0 steps · 0 tokens (0 in, 0 out) · $0\n"
        "\n"
        "No steps recorded yet.\n"
    )


def test_render_session_prints_to_any_console(reel: Path) -> None:
    console = Console(width=120, no_color=True, file=io.StringIO())
    store = SQLiteStore(reel, create=False)
    try:
        render_session(console, store, "4bf92", now_ns=NOW, tz=dt.UTC)
    finally:
        store.close()
    assert isinstance(console.file, io.StringIO)
    assert tidy(console.file.getvalue()) == SESSION


def test_show_step_of_a_running_step_gives_the_time_so_far(invoke: Invoke) -> None:
    text = invoke("show", "4bf9a", "--step", "3").text
    assert text.splitlines()[:5] == [
        "Step 3 of 3  llm  think",
        "session   live-agent (4bf9aa00d2c6)",
        "status    running",
        "parent    1 (agent watcher)",
        "started   2025-01-02 17:03:00.800",
    ]
    assert "duration  running for 4.2s\n" in text
