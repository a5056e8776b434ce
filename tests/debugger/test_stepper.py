"""The Stepper: cursor movement, tree questions, breakpoints and model context,
on sessions recorded into real SQLite files (see conftest for their shape)."""

from __future__ import annotations

from typing import Any

import pytest

import agentreel
from agentreel.debugger import BreakpointError, Stepper, UnknownBreakpoint
from agentreel.errors import UnknownSession, UnknownStep
from agentreel.model import Status, Step, StepKind
from agentreel.storage import SQLiteStore, load_payload

from ._sessions import SYSTEM, Reel


def numbers(steps: Any) -> list[int]:
    return [s.number for s in steps]


def walk(stepper: Stepper, move: Any) -> list[int]:
    """Step numbers visited by calling ``move`` until it returns None."""
    seen = [stepper.current.number]
    while (step := move()) is not None:
        assert step is stepper.current
        seen.append(step.number)
    return seen


# -- loading --------------------------------------------------------------------------


def test_loads_by_prefix_and_starts_at_the_first_step(hand: Stepper, hand_reel: Reel) -> None:
    assert hand.session.id == hand_reel.ids["hand-built"]
    assert hand.current.number == 1
    assert numbers(hand.steps) == list(range(1, 9))


def test_starts_at_a_given_step(hand_reel: Reel, open_stepper: Any) -> None:
    stepper = open_stepper(hand_reel, "hand-built", start=6)
    assert (stepper.current.number, stepper.current.name) == (6, "search")


def test_a_start_beyond_the_session_names_the_valid_range(
    hand_reel: Reel, open_stepper: Any
) -> None:
    with pytest.raises(UnknownStep, match="has no step 9; its steps are numbered 1 to 8"):
        open_stepper(hand_reel, "hand-built", start=9)


def test_an_unknown_session_is_an_error(demo_reel: Reel) -> None:
    store = SQLiteStore(demo_reel.db, create=False)
    try:
        with pytest.raises(UnknownSession, match="no session matches 'ffffffffffff0000'"):
            Stepper.load(store, "ffffffffffff0000")
    finally:
        store.close()


def test_a_session_without_steps_cannot_be_stepped(tmp_path: Any) -> None:
    db = tmp_path / "empty.db"
    agentreel.configure(db=db, flush_interval=0.05)
    with agentreel.session("nothing-yet") as session:
        pass
    agentreel.shutdown()
    store = SQLiteStore(db, create=False)
    try:
        with pytest.raises(UnknownStep, match="it has no steps"):
            Stepper.load(store, session.id)
    finally:
        store.close()


# -- moving ---------------------------------------------------------------------------


def test_step_visits_every_step_in_number_order_then_stays(hand: Stepper) -> None:
    assert walk(hand, hand.step_into) == list(range(1, 9))
    assert hand.step_into() is None
    assert hand.current.number == 8


def test_next_steps_over_children(hand: Stepper) -> None:
    assert walk(hand, hand.step_over) == [1, 8]
    hand.goto(2)
    assert walk(hand, hand.step_over) == [2, 3, 4, 7, 8]
    hand.goto(5)
    assert walk(hand, hand.step_over) == [5, 6, 7, 8]


def test_back_is_step_in_reverse(hand: Stepper) -> None:
    hand.last()
    assert walk(hand, hand.step_back) == list(range(8, 0, -1))
    assert hand.current.number == 1


def test_up_climbs_and_down_retraces_the_way_up(hand: Stepper) -> None:
    hand.goto(6)
    assert walk(hand, hand.up) == [6, 4, 1]
    assert walk(hand, hand.down) == [1, 4, 6]


def test_down_without_a_way_up_goes_to_the_first_child(hand: Stepper) -> None:
    assert numbers([hand.down()]) == [2]
    assert hand.down() is None  # an llm call has no children
    hand.goto(7)
    hand.up()
    hand.goto(4)  # any other movement forgets the way up
    assert numbers([hand.down()]) == [5]


def test_goto_first_last(hand: Stepper) -> None:
    assert hand.goto(5).name == "ask"
    assert hand.last().number == 8
    assert hand.first().number == 1
    with pytest.raises(UnknownStep):
        hand.goto(0)
    assert hand.current.number == 1


def test_tree_questions(hand: Stepper) -> None:
    six = hand.find(6)
    assert numbers(hand.path(six)) == [1, 4, 6]
    assert hand.depth(six) == 2
    assert hand.agent(six) is not None and hand.agent(six).name == "inner"  # type: ignore[union-attr]
    assert hand.agent(hand.find(3)).name == "outer"  # type: ignore[union-attr]
    assert hand.agent(hand.find(8)) is None
    assert numbers(hand.children(hand.find(1))) == [2, 3, 4, 7]
    assert hand.is_descendant(six, hand.find(1))
    assert not hand.is_descendant(hand.find(7), hand.find(4))
    assert [(d, s.number) for d, s in hand.outline] == [
        (0, 1),
        (1, 2),
        (1, 3),
        (1, 4),
        (2, 5),
        (2, 6),
        (1, 7),
        (0, 8),
    ]


def _descendants(steps: list[Step], of: int) -> set[int]:
    """Independent of the stepper: numbers under ``of``, from parent numbers alone."""
    parent = {s.number: s.parent_number for s in steps}
    found = set()
    for s in steps:
        p = parent[s.number]
        while p is not None:
            if p == of:
                found.add(s.number)
                break
            p = parent.get(p)
    return found


@pytest.mark.parametrize(
    "name", ["fix-divide-by-zero", "fix-flaky-import", "refactor-with-cost-spike"]
)
def test_on_the_demo_next_lands_on_the_first_later_step_outside(
    demo_reel: Reel, open_stepper: Any, name: str
) -> None:
    stepper = open_stepper(demo_reel, name)
    store = SQLiteStore(demo_reel.db, create=False)
    try:
        steps = store.get_steps(demo_reel.ids[name])
    finally:
        store.close()
    assert numbers(stepper.steps) == numbers(steps)
    for step in steps:
        stepper.goto(step.number)
        inside = _descendants(steps, step.number)
        later = [s.number for s in steps if s.number > step.number and s.number not in inside]
        landed = stepper.step_over()
        assert (landed.number if landed else None) == (later[0] if later else None)


# -- breakpoints ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "stops"),
    [
        ("3", [3]),
        ("tool", [3, 7]),
        ("kind:agent", [4]),
        ("ask", [2, 5]),
        ("name:run_*", [3, 7]),
        ("tool:run_tests", [3, 7]),
        ("tool:search", []),  # search is a retrieval, not a tool
        ("error", [3]),
        ("if cost > 0.01", [2]),
        ("if tokens.input >= 300 and agent == 'inner'", [5]),
        ('if status == "error" or attributes.hits > 2', [3, 6]),
        ("if attributes.gen_ai.system == 'docs'", [6]),
        ("if input.messages.0.role == 'system'", [2]),
        ("if depth == 2 and not kind ~ 'ret*'", [5]),
    ],
)
def test_continue_stops_where_a_breakpoint_matches(
    hand: Stepper, spec: str, stops: list[int]
) -> None:
    hand.add_breakpoint(spec)
    seen = []
    while (stop := hand.continue_forward()).hits:
        seen.append(stop.step.number)
    assert seen == stops
    assert hand.current.number == 8  # and then runs to the end


def test_continue_runs_to_the_end_then_does_not_move(hand: Stepper) -> None:
    end = hand.continue_forward()
    assert (end.step.number, end.hits, end.moved) == (8, (), True)
    again = hand.continue_forward()
    assert (again.step.number, again.moved) == (8, False)


def test_rcontinue_runs_backwards(hand: Stepper) -> None:
    hand.add_breakpoint("tool")
    hand.last()
    assert hand.continue_backward().step.number == 7
    assert hand.continue_backward().step.number == 3
    stop = hand.continue_backward()
    assert (stop.step.number, stop.hits, stop.moved) == (1, (), True)


def test_every_matching_breakpoint_is_reported(hand: Stepper) -> None:
    failed = hand.add_breakpoint("error")
    tool = hand.add_breakpoint("tool:run_tests")
    hand.add_breakpoint("kind:llm")
    hand.goto(2)
    assert hand.continue_forward().hits == (failed, tool)


def test_breakpoints_are_numbered_disabled_and_cleared(hand: Stepper) -> None:
    first = hand.add_breakpoint("tool")
    second = hand.add_breakpoint("  error  ")
    assert (first.number, second.number, second.spec) == (1, 2, "error")
    hand.enable_breakpoint(1, False)
    assert hand.continue_forward().step.number == 3  # by breakpoint 2
    assert hand.continue_forward().hits == ()  # breakpoint 1 would stop at 7
    hand.enable_breakpoint(1)
    hand.first()
    assert hand.remove_breakpoint(2) == second
    assert numbers(hand.breakpoints) == [1]
    with pytest.raises(UnknownBreakpoint, match="no breakpoint 2; the breakpoints are 1"):
        hand.remove_breakpoint(2)
    assert hand.add_breakpoint("ask").number == 3  # numbers are never reused
    assert len(hand.clear_breakpoints()) == 2
    with pytest.raises(UnknownBreakpoint, match="there are none"):
        hand.enable_breakpoint(1)


def test_a_bad_spec_sets_nothing(hand: Stepper) -> None:
    with pytest.raises(BreakpointError):
        hand.add_breakpoint("if cost >")
    assert hand.breakpoints == ()


def test_an_undecidable_condition_does_not_match_and_is_reported_once(hand: Stepper) -> None:
    hand.add_breakpoint("if attributes.hits > 2")
    stop = hand.continue_forward()
    assert stop.step.number == 6
    assert len(stop.warnings) == 1
    assert (
        "breakpoint 1 (if attributes.hits > 2): step 2 has no attributes.hits" in stop.warnings[0]
    )
    hand.first()
    assert hand.continue_forward().warnings == ()


def test_kleene_logic_lets_a_decided_part_win(hand: Stepper) -> None:
    # Step 3 has no `hits` attribute, but it failed: the `or` is true anyway.
    hand.add_breakpoint("if error or attributes.hits > 2")
    hand.add_breakpoint("if attributes.hits > 2 and kind == 'tool'")
    stop = hand.continue_forward()
    assert (stop.step.number, numbers(stop.hits)) == (3, [1])
    # Breakpoint 1 could not be decided on step 2 (no error, no hits). Breakpoint 2
    # was false there (not a tool, whatever hits is) but undecidable on step 3.
    assert [w.split(";")[0] for w in stop.warnings] == [
        "breakpoint 1 (if error or attributes.hits > 2): step 2 has no attributes.hits",
        "breakpoint 2 (if attributes.hits > 2 and kind == 'tool'): step 3 has no attributes.hits",
    ]


def test_breakpoints_at_is_quiet(hand: Stepper) -> None:
    hand.add_breakpoint("if attributes.hits > 2")
    warnings: list[str] = []
    assert hand.breakpoints_at(hand.find(1)) == ()
    assert hand.breakpoints_at(hand.find(2), warnings) == ()
    assert len(warnings) == 1  # the quiet call did not use up the one report


# -- data -----------------------------------------------------------------------------


def test_payloads_are_decoded_from_the_store(hand: Stepper) -> None:
    two = hand.find(2)
    assert two.input_ref is not None
    assert hand.payload(two, "input") == load_payload(hand.store, two.input_ref)
    assert hand.payload(two, "input")["messages"][0] == {"role": "system", "content": SYSTEM}
    assert hand.payload(hand.find(8), "input") is None  # an event records no input


def test_context_at_a_model_call_is_its_input(hand: Stepper) -> None:
    context = hand.context(hand.find(2))
    assert context is not None
    assert (context.call.number, context.after_call, context.reply) == (2, False, None)
    assert context.input["messages"][1] == {"role": "user", "content": "fix it"}


def test_context_elsewhere_is_the_last_model_call_and_its_reply(hand: Stepper) -> None:
    hand.goto(3)
    context = hand.context()
    assert context is not None
    assert (context.at.number, context.call.number, context.after_call) == (3, 2, True)
    assert context.reply["tool_calls"][0]["function"]["name"] == "run_tests"
    # Inside the inner agent, its own model call is the nearest one.
    six = hand.context(hand.find(6))
    assert six is not None and six.call.number == 5
    assert six.input["messages"] == [{"role": "user", "content": "look it up"}]


def test_no_context_before_the_first_model_call(hand: Stepper) -> None:
    assert hand.context(hand.find(1)) is None


@pytest.mark.parametrize(
    "name", ["fix-divide-by-zero", "fix-flaky-import", "refactor-with-cost-spike"]
)
def test_on_the_demo_every_tool_call_was_asked_for_by_the_reply_in_its_context(
    demo_reel: Reel, open_stepper: Any, name: str
) -> None:
    stepper = open_stepper(demo_reel, name)
    tools = [s for s in stepper.steps if s.kind is StepKind.TOOL]
    assert tools
    for tool in tools:
        context = stepper.context(tool)
        assert context is not None and context.after_call
        assert context.call.kind is StepKind.LLM and context.call.number < tool.number
        message = context.reply["choices"][0]["message"]
        called = [c["function"]["name"] for c in message["tool_calls"]]
        assert tool.name in called
        assert context.input["messages"][0]["role"] == "system"


def test_on_the_demo_failed_tools_are_found_by_break_error(
    demo_reel: Reel, open_stepper: Any
) -> None:
    stepper = open_stepper(demo_reel, "fix-flaky-import")
    stepper.add_breakpoint("tool:* ")
    stepper.add_breakpoint("error")
    failed = [s.number for s in stepper.steps if s.status is Status.ERROR]
    hits = []
    while (stop := stepper.continue_forward()).hits:
        if len(stop.hits) == 2:
            hits.append(stop.step.number)
    assert hits == [s for s in failed if stepper.find(s).kind is StepKind.TOOL]
    assert len(hits) == 2
