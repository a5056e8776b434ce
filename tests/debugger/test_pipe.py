"""``agentreel debug`` as a real process, driven through its standard input."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentreel.model import Status, StepKind
from agentreel.storage import SQLiteStore

from ._sessions import Reel
from ._transcript import Block, blocks, run_process

FLAKY = "fix-flaky-import"


@pytest.fixture(scope="module")
def flaky_steps(demo_reel: Reel) -> dict[int, tuple[str, str, str]]:
    """``number -> (kind, name, status)`` of the demo's failing session, read from the store."""
    store = SQLiteStore(demo_reel.db, create=False)
    try:
        steps = store.get_steps(demo_reel.ids[FLAKY])
    finally:
        store.close()
    return {s.number: (str(s.kind), s.name, str(s.status)) for s in steps}


def by_command(found: list[Block]) -> dict[str, Block]:
    return {b.command: b for b in found[1:]}


def test_a_debugging_session_through_a_pipe(
    demo_reel: Reel, flaky_steps: dict[int, tuple[str, str, str]]
) -> None:
    # The demo is scripted: these are the facts the transcript below relies on.
    assert flaky_steps[1][:2] == ("agent", "planner")
    assert flaky_steps[4][:2] == ("agent", "investigator")
    assert flaky_steps[5] == ("llm", "chat.completions.create", "ok")
    run_tests = [n for n, (k, name, _) in flaky_steps.items() if (k, name) == ("tool", "run_tests")]
    assert run_tests == [6, 18]
    assert all(flaky_steps[n][2] == "error" for n in run_tests)

    commands = [
        "next",
        "step",
        "where",
        "break tool:run_tests",
        "break if kind == 'plan'",
        "continue",
        "print context",
        "list",
        "goto 3",
        "continue",
        "c",
        "c",
        "print",
        "quit",
    ]
    session_id = demo_reel.ids[FLAKY]
    result = run_process(demo_reel.db, session_id[:8], stdin="\n".join(commands) + "\n")
    assert (result.returncode, result.stderr) == (0, "")
    found = blocks(result.stdout)
    assert [b.command for b in found[1:]] == commands
    intro = found[0].lines
    assert intro[0] == (
        f"Debugging {FLAKY} ({session_id[:12]}): 19 steps, 3 failed. "
        "Type help for the commands, quit to leave."
    )
    assert intro[1].startswith("> #1 agent planner  ok · ")

    # Every prompt shows where the previous command left the cursor.
    at = [b.at for b in found[1:]]
    assert at == [
        "#1 agent planner",
        "#4 agent investigator",
        "#5 llm chat.completions.create",
        "#5 llm chat.completions.create",
        "#5 llm chat.completions.create",
        "#5 llm chat.completions.create",
        "#6 tool run_tests",
        "#6 tool run_tests",
        "#6 tool run_tests",
        "#3 plan plan",
        "#6 tool run_tests",
        "#18 tool run_tests",
        "#19 llm chat.completions.create",
        "#19 llm chat.completions.create",
    ]
    out = by_command(found)
    assert out["next"].lines[0].startswith("> #4 agent investigator  ok · ")
    assert out["where"].lines == [
        "    4  agent      investigator",
        ">   5  llm          chat.completions.create",
    ]
    assert out["break tool:run_tests"].lines == [
        "Breakpoint 1: tool:run_tests (every tool step named run_tests)"
    ]
    assert out["break if kind == 'plan'"].lines == [
        "Breakpoint 2: if kind == 'plan' (every step where kind == 'plan')"
    ]
    assert out["continue"].lines[0] == "Breakpoint 1: tool:run_tests"
    assert out["continue"].lines[1].startswith("> #6 tool run_tests  error · ")
    assert out["continue"].lines[1].endswith("ModuleNotFoundError: No module named 'calc.ops'")

    context = out["print context"].text
    assert context.startswith(
        "Model context at #6: the input of #5 llm chat.completions.create, "
        "the last model call before it\nsystem\n  You are the investigator agent"
    )
    assert "\nReply of #5:\nassistant\n  → calls run_tests(" in context

    listing = out["list"].lines
    assert len(listing) == 11
    assert listing[0].split()[:3] == ["1", "agent", "planner"]
    assert ">B  6  tool         run_tests  error: ModuleNotFoundError" in listing[5]
    assert listing[2].startswith(" B  3  plan         plan")

    # From step 3 (which breakpoint 2 matches), continue goes on to the next match.
    assert found[10].lines[0] == "Breakpoint 1: tool:run_tests"
    assert found[11].lines[0] == "Breakpoint 1: tool:run_tests"
    assert found[11].lines[1].startswith("> #18 tool run_tests  error")
    assert found[12].lines[0] == "No breakpoint matched: at the last step."
    assert found[12].lines[1].startswith("> #19 llm chat.completions.create  ok")
    facts = out["print"].lines
    assert facts[:3] == [
        "step      19 of 19: llm chat.completions.create",
        "status    ok",
        "parent    #16 agent verifier",
    ]
    assert out["quit"].lines == []


def test_mistakes_print_one_line_and_the_session_goes_on(demo_reel: Reel) -> None:
    mistakes = {
        "frobnicate": "*** unknown command 'frobnicate'; `help` lists the commands",
        "goto 99": (
            f"*** session {demo_reel.ids[FLAKY][:12]} has no step 99; "
            "its steps are numbered 1 to 19"
        ),
        "goto x": "*** goto needs a number, for example: goto 12",
        "break if __import__('os').system('echo pwned')": (
            "*** bad condition \"__import__('os').system('echo pwned')\": "
            "unexpected '.': only field names have dots (tokens.input); "
            "values have no attributes (column 17)"
        ),
        "break if cost >": (
            "*** bad condition 'cost >': the condition ends too early: a value is missing "
            "(column 7)"
        ),
        "print nothing": (
            "*** print what? one of input, output, attributes, error, context, usage, all, "
            "or nothing"
        ),
        "clear 3": "*** no breakpoint 3; there are none (`break` lists them)",
        "continue now": "*** continue takes no argument",
        "diff ffffffff": (
            "*** no session matches 'ffffffff'; `agentreel ls` lists the recorded sessions"
        ),
    }
    stdin = "\n".join([*mistakes, "next", "quit"]) + "\n"
    result = run_process(demo_reel.db, demo_reel.ids[FLAKY], stdin=stdin)
    assert (result.returncode, result.stderr) == (0, "")
    assert "pwned" not in result.stdout.replace("echo pwned", "")
    found = blocks(result.stdout)[1:]
    for block, (command, message) in zip(found, mistakes.items(), strict=False):
        assert (block.command, block.at, block.lines) == (command, "#1 agent planner", [message])
    assert found[len(mistakes)].lines[0].startswith("> #4 agent investigator")
    assert found[-1].at == "#4 agent investigator"


def test_an_empty_line_repeats_and_the_end_of_input_quits(demo_reel: Reel) -> None:
    result = run_process(demo_reel.db, demo_reel.ids[FLAKY], stdin="next\n\n\n")
    assert (result.returncode, result.stderr) == (0, "")
    found = blocks(result.stdout)[1:]
    assert [(b.at, b.command) for b in found] == [
        ("#1 agent planner", "next"),
        ("#4 agent investigator", ""),
        ("#10 agent fixer", ""),
        ("#16 agent verifier", ""),  # the prompt at which input ended
    ]
    assert result.stdout.endswith("(agentreel #16 agent verifier) \n")


def test_commands_given_as_options_do_not_read_standard_input(demo_reel: Reel) -> None:
    result = run_process(
        demo_reel.db,
        demo_reel.ids[FLAKY],
        "--step",
        "16",
        "--break",
        "error",
        "-c",
        "continue",
        "--command",
        "print error",
        stdin="goto 99\n",
    )
    assert (result.returncode, result.stderr) == (0, "")
    found = blocks(result.stdout)
    assert found[0].lines[1] == "Breakpoint 1: error (every step that failed)"
    assert found[0].lines[2].startswith("> #16 agent verifier  error")
    assert [(b.at, b.command) for b in found[1:]] == [
        ("#16 agent verifier", "continue"),
        ("#18 tool run_tests", "print error"),
    ]
    assert found[2].lines[0] == "ModuleNotFoundError: No module named 'calc.ops'"
    assert found[2].lines[1] == "Traceback (most recent call last):"
    assert "goto 99" not in result.stdout


def test_a_failed_command_option_sets_the_exit_code(demo_reel: Reel) -> None:
    result = run_process(demo_reel.db, demo_reel.ids[FLAKY], "-c", "goto 99", "-c", "last")
    assert result.returncode == 1
    found = blocks(result.stdout)
    assert found[1].lines[0].startswith("*** session ")
    assert found[2].lines[0].startswith("> #19 llm")  # the commands after it still ran


def test_an_unknown_session_is_one_line_on_stderr(tmp_path: Path, demo_reel: Reel) -> None:
    result = run_process(demo_reel.db, "ffffffff", stdin="quit\n")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "agentreel: error: no session matches 'ffffffff'; "
        "`agentreel ls` lists the recorded sessions\n"
    )


def test_the_demo_session_has_what_these_tests_expect(
    flaky_steps: dict[int, tuple[str, str, str]],
) -> None:
    failed = [n for n, (_, _, status) in flaky_steps.items() if status == str(Status.ERROR)]
    assert failed == [6, 16, 18]
    assert flaky_steps[16][0] == str(StepKind.AGENT)
