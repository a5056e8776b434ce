"""The prompt's commands, one by one, with their exact output (run in-process
through injected consoles; ``test_pipe`` runs the real process)."""

from __future__ import annotations

import pytest

from agentreel.cli._debug import ALIASES, COMMANDS, SECTIONS
from agentreel.debugger import FIELDS

from ._sessions import SYSTEM, Reel
from ._transcript import Block, blocks, run_inline


def debug(
    reel: Reel, *commands: str, name: str = "hand-built", options: tuple[str, ...] = ()
) -> list[Block]:
    args = [reel.ids[name], *options]
    for command in commands:
        args += ["-c", command]
    result = run_inline(reel.db, *args)
    assert result.err == ""
    found = blocks(result.out)
    # Every command ran, up to a quit.
    ran = [b.command for b in found[1:]]
    assert ran == list(commands[: len(ran)])
    assert len(ran) == len(commands) or ran[-1] in ("quit", "q", "exit")
    return found


def test_longlist_and_where_draw_the_tree(hand_reel: Reel) -> None:
    found = debug(hand_reel, "longlist", "goto 6", "where", "list 4")
    assert found[1].lines == [
        ">  1  agent      outer",
        "   2  llm          ask",
        "   3  tool         run_tests  error: ValueError: boom",
        "   4  agent        inner",
        "   5  llm            ask",
        "   6  retrieval      search",
        "   7  tool         run_tests",
        "   8  event      done",
    ]
    assert found[3].lines == [
        "   1  agent      outer",
        "   4  agent        inner",
        ">  6  retrieval      search",
    ]
    # Fewer steps than a screenful: list shows them all, wherever it is centred.
    assert [line[:4] for line in found[4].lines] == [
        f"{'>' if n == 6 else ' '}  {n}" for n in range(1, 9)
    ]


def test_breakpoints_are_marked_in_listings(hand_reel: Reel) -> None:
    found = debug(
        hand_reel, "break tool", "break if attributes.hits > 2", "ll", "break", "disable 1", "ll"
    )
    marked = [line.split()[0] for line in found[3].lines if line.startswith(" B")]
    assert marked == ["B", "B", "B"]
    assert [line[3] for line in found[3].lines if line[1] == "B"] == ["3", "6", "7"]
    assert found[4].lines == [
        "  1 on   tool                    (every tool step)",
        "  2 on   if attributes.hits > 2  (every step where attributes.hits > 2)",
    ]
    assert found[5].lines == ["Disabled breakpoint 1: tool"]
    assert [line[3] for line in found[6].lines if line[1] == "B"] == ["6"]


def test_moving_at_the_edges_says_why_nothing_moved(hand_reel: Reel) -> None:
    found = debug(
        hand_reel, "back", "up", "step 2", "down", "last", "step", "next", "c", "rc", "rc"
    )
    assert found[1].lines == ["Already at the first step."]
    assert found[2].lines == ["#1 is a top-level step: it has no parent."]
    assert found[3].lines[0].startswith("> #3 tool run_tests  error")
    assert found[4].lines == ["#3 has no child steps."]
    assert found[6].lines == ["Already at the last step."]
    assert found[7].lines == ["No later step outside #8."]
    assert found[8].lines == ["Already at the last step."]
    assert found[9].lines[0] == "No breakpoints set: at the first step."
    assert found[10].lines == ["Already at the first step."]


def test_counts_repeat_a_movement(hand_reel: Reel) -> None:
    found = debug(hand_reel, "s 3", "bk 2", "n 2", "step 0x")
    assert [b.at for b in found[1:]] == [
        "#1 agent outer",
        "#4 agent inner",
        "#2 llm ask",
        "#4 agent inner",
    ]
    assert found[4].lines == ["*** step needs a number, for example: step 3"]


def test_print_sections(hand_reel: Reel) -> None:
    found = debug(
        hand_reel,
        "goto 6",
        "print",
        "p attributes",
        "p input",
        "p output",
        "p usage",
        "goto 3",
        "p error",
        "p attributes",
        "goto 2",
        "p usage",
    )
    assert found[2].lines[:3] == [
        "step      6 of 8: retrieval search",
        "status    ok",
        "parent    #4 agent inner",
    ]
    assert found[2].lines[-1] == "recorded  output (print output)"
    assert found[3].lines == ["{", '  "hits": 3,', '  "gen_ai.system": "docs"', "}"]
    assert found[4].lines == ["#6 recorded no input."]
    assert found[5].lines == ["[", '  "calc.py"', "]"]
    assert found[6].lines[:3] == [
        "model     -",
        "tokens    0 in (0 cached), 0 out (0 reasoning), 0 total",
        "cost      -",
    ]
    assert found[8].lines[0] == "ValueError: boom"
    assert found[8].lines[1] == "Traceback (most recent call last):"
    assert found[8].lines[-1] == "ValueError: boom"
    assert found[9].lines == ["#3 has no attributes."]
    assert found[11].lines[:3] == [
        "model     -",
        "tokens    12,000 in (0 cached), 20 out (0 reasoning), 12,020 total",
        "cost      $0.0200",
    ]


def test_print_context_renders_the_conversation(hand_reel: Reel) -> None:
    found = debug(hand_reel, "p context", "goto 2", "p context", "goto 3", "p context")
    assert found[1].lines == ["No model call at or before #1: the model has seen nothing yet."]
    assert found[3].lines == [
        "Model context at #2: its input",
        "system",
        f"  {SYSTEM}",
        "user",
        "  fix it",
    ]
    assert found[5].lines == [
        "Model context at #3: the input of #2 llm ask, the last model call before it",
        "system",
        f"  {SYSTEM}",
        "user",
        "  fix it",
        "Reply of #2:",
        "assistant",
        "  → calls run_tests({})",
    ]


def test_print_all_is_show_step(hand_reel: Reel) -> None:
    found = debug(hand_reel, "goto 3", "print all")
    shown = run_inline(hand_reel.db, hand_reel.ids["hand-built"], "--step", "3", command="show")
    assert shown.exit_code == 0
    assert found[2].lines == [line.rstrip() for line in shown.out.splitlines()]
    assert found[2].lines[0] == "Step 3 of 8  tool  run_tests"


def test_info(hand_reel: Reel) -> None:
    found = debug(hand_reel, "break error", "goto 5", "info")
    lines = found[3].lines
    assert lines[0] == f"session      hand-built ({hand_reel.ids['hand-built']})"
    assert lines[1] == "status       ok"
    assert lines[4:] == [
        "steps        8, 1 failed",
        "tokens       12.3k (12.3k in, 40 out)",
        "cost         $0.0210",
        "at           #5 llm ask",
        "breakpoints  1",
    ]


def test_help_lists_every_command_and_explains_each(hand_reel: Reel) -> None:
    found = debug(hand_reel, "help", "help break", "h n", "help nope")
    listing = found[1].lines
    assert len(listing) == len(COMMANDS) + 1
    for line, (name, aliases) in zip(listing, COMMANDS.items(), strict=False):
        names, doc = line[:18].strip(), line[19:]
        assert names == ", ".join((name, *aliases))
        assert doc and not doc.startswith(" ")
    explained = found[2].text
    assert explained.startswith("break (b)\nSet a breakpoint")
    for field in FIELDS:
        assert f"\n{field} " in explained
    assert found[3].lines == [
        "next (n)",
        "Go to the next step that is not inside this one (over its children).",
    ]
    assert found[4].lines == ["*** no command 'nope'; `help` lists the commands"]


#: An argument for the commands that need one.
_ARGS = {"goto": " 6", "break": " tool", "print": " usage", "help": " next", "diff": " 0"}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_every_alias_does_what_its_command_does(hand_reel: Reel, alias: str) -> None:
    name = ALIASES[alias]
    arg = _ARGS.get(name, "")
    by_alias = debug(hand_reel, alias + arg, "where", options=("--step", "4"))
    by_name = debug(hand_reel, name + arg, "where", options=("--step", "4"))
    assert [(b.at, b.lines) for b in by_alias[1:]] == [(b.at, b.lines) for b in by_name[1:]]
    assert len(by_alias) == (2 if name == "quit" else 3)


def test_print_offers_every_section(hand_reel: Reel) -> None:
    found = debug(hand_reel, *(f"print {section}" for section in SECTIONS), options=("--step", "2"))
    assert all(not line.startswith("***") for b in found[1:] for line in b.lines)


def test_diff_compares_with_the_same_step_of_another_session(demo_reel: Reel) -> None:
    divide = demo_reel.ids["fix-divide-by-zero"]
    found = debug(demo_reel, "goto 6", f"diff {divide[:10]}", "diff", name="fix-flaky-import")
    lines = found[2].lines
    assert lines[0] == f"#6 ↔ #6 tool run_tests in fix-divide-by-zero ({divide[:12]}): changed"
    assert '  status: "error" → "ok"' in lines
    assert any(
        line.startswith('  error: {"type":"ModuleNotFoundError"') and line.endswith("→ null")
        for line in lines
    )
    assert found[3].lines == ["*** diff needs one session id, for example: diff 4e95"]


def test_diff_with_itself_finds_nothing(demo_reel: Reel) -> None:
    own = demo_reel.ids["fix-flaky-import"]
    found = debug(demo_reel, "goto 6", f"diff {own}", name="fix-flaky-import")
    assert found[2].lines == [
        f"#6 ↔ #6 tool run_tests in fix-flaky-import ({own[:12]}): same",
        "The two sessions do not differ.",
    ]


def test_startup_errors_are_one_line_with_exit_code_1(hand_reel: Reel) -> None:
    session = hand_reel.ids["hand-built"]
    bad_step = run_inline(hand_reel.db, session, "--step", "99")
    assert (bad_step.exit_code, bad_step.out) == (1, "")
    assert bad_step.err == (
        f"agentreel: error: session {session[:12]} has no step 99; its steps are numbered 1 to 8\n"
    )
    bad_break = run_inline(hand_reel.db, session, "--break", "if tokens.bogus > 1")
    assert (bad_break.exit_code, bad_break.out) == (1, "")
    assert bad_break.err.startswith(
        "agentreel: error: bad condition 'tokens.bogus > 1': tokens.bogus"
    )
    assert bad_break.err.count("\n") == 1
