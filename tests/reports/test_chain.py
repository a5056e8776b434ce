"""The failing step of a session, and the model call that asked for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentreel.model import Status
from agentreel.reports import build_rca, rca_markdown
from agentreel.reports._chain import Payloads, find_cause, root_failures
from agentreel.storage import SQLiteStore

from ._build import S, anthropic_call, batch, err, openai_call, write

SYSTEM = "You are a careful engineer. Never edit the tests."
TOOLS = [
    {"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "run_tests", "parameters": {"type": "object"}}},
]
FAILED = err("AssertionError", "1 failed: test_divide")


def _openai_session(tool: S) -> list[S]:
    first = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Fix tests/test_arith.py."},
    ]
    answer = openai_call("call_1", "read_file", '{"path": "calc/arith.py"}')
    seen = [
        *first,
        answer["choices"][0]["message"],
        {"role": "tool", "tool_call_id": "call_1", "content": "def divide(a, b): return a / b"},
    ]
    return [
        S(kind="agent", name="fixer", status="error", error=FAILED),
        S(
            kind="llm",
            name="chat",
            parent=1,
            model="gpt-4o",
            input={"messages": first, "tools": TOOLS},
            output=answer,
        ),
        S(kind="tool", name="read_file", parent=1, input={"path": "calc/arith.py"}, output="..."),
        S(
            kind="llm",
            name="chat",
            parent=1,
            model="gpt-4o",
            input={"messages": seen, "tools": TOOLS},
            output=openai_call("call_2", "run_tests", '{"path": "tests/"}'),
        ),
        tool,
    ]


def _open(tmp_path: Path, steps: list[S]) -> SQLiteStore:
    write(tmp_path / "reel.db", batch("a1" * 16, "fix", steps))
    return SQLiteStore(tmp_path / "reel.db", create=False)


def _cause(store: SQLiteStore) -> tuple[Any, str | None]:
    steps = store.get_steps("a1" * 16)
    root = root_failures(steps)[0]
    return find_cause(steps[root.step.number - 1], steps, Payloads(store))


RUN_TESTS = S(
    kind="tool", name="run_tests", parent=1, input={"path": "tests/"}, status="error", error=FAILED
)


def test_the_root_is_the_tool_step_and_the_agent_passes_it_on(tmp_path: Path) -> None:
    store = _open(tmp_path, _openai_session(RUN_TESTS))
    roots = root_failures(store.get_steps("a1" * 16))
    assert [r.step.number for r in roots] == [5]
    assert roots[0].step.path == ("fixer",)
    assert [s.number for s in roots[0].propagated_by] == [1]


def test_openai_tool_call_with_the_same_arguments_is_the_cause(tmp_path: Path) -> None:
    cause, note = _cause(_open(tmp_path, _openai_session(RUN_TESTS)))
    assert note is None
    assert cause.llm_step.number == 4
    assert cause.match == "arguments"
    assert (cause.tool_call_id, cause.tool_call_name) == ("call_2", "run_tests")
    assert cause.tool_call_arguments == {"path": "tests/"}
    context = cause.context
    assert context.system_head == SYSTEM
    assert context.last_user == "Fix tests/test_arith.py."
    assert context.tools_offered == ("read_file", "run_tests")
    assert [(r.tool, r.call_id, r.text) for r in context.tool_results] == [
        ("read_file", "call_1", "def divide(a, b): return a / b")
    ]
    assert context.messages == 4


def test_a_recorded_call_id_wins_over_different_arguments(tmp_path: Path) -> None:
    tool = S(
        kind="tool",
        name="run_tests",
        parent=1,
        input={"path": "elsewhere/"},
        status="error",
        error=FAILED,
        attributes={"gen_ai.tool.call.id": "call_2"},
    )
    cause, _ = _cause(_open(tmp_path, _openai_session(tool)))
    assert (cause.llm_step.number, cause.match) == (4, "call-id")


def test_only_the_name_matching_is_said_so(tmp_path: Path) -> None:
    tool = S(
        kind="tool",
        name="run_tests",
        parent=1,
        input={"path": "other/"},
        status="error",
        error=FAILED,
    )
    store = _open(tmp_path, _openai_session(tool))
    cause, _ = _cause(store)
    assert (cause.llm_step.number, cause.match) == (4, "name")
    assert (
        "The nearest earlier model call that asked for `run_tests` is at step 4 (llm `chat` in "
        'fixer) on `gpt-4o`, with `{"path":"tests/"}`; step 5 ran with other arguments, so they '
        "were changed between the model's answer and the tool."
    ) in rca_markdown(build_rca(store, "a1"))


def test_a_tool_no_model_asked_for_has_no_cause(tmp_path: Path) -> None:
    tool = S(kind="tool", name="deploy", parent=1, input={}, status="error", error=FAILED)
    cause, note = _cause(_open(tmp_path, _openai_session(tool)))
    assert cause is None
    assert note == "none of the 2 model calls before step 5 asked for a 'deploy' call"


def test_anthropic_tool_use_and_tool_results(tmp_path: Path) -> None:
    request = {
        "system": SYSTEM,
        "tools": [{"name": "run_tests", "input_schema": {"type": "object"}}],
        "messages": [
            {"role": "user", "content": "Fix it."},
            {
                "role": "assistant",
                "content": [anthropic_call("tu_1", "run_tests", {})["content"][1]],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "tu_1",
                        "content": "boom",
                        "is_error": True,
                    }
                ],
            },
        ],
    }
    steps = [
        S(
            kind="llm",
            name="messages",
            model="claude",
            input=request,
            output=anthropic_call("tu_2", "run_tests", {"path": "tests/", "k": "divide"}),
        ),
        S(
            kind="tool",
            name="run_tests",
            input={"k": "divide", "path": "tests/"},
            status="error",
            error=FAILED,
        ),
    ]
    cause, note = _cause(_open(tmp_path, steps))
    assert note is None
    assert (cause.llm_step.number, cause.match, cause.tool_call_id) == (1, "arguments", "tu_2")
    assert cause.context.system_head == SYSTEM
    # The user turn that only carries tool results is not "the last user message".
    assert cause.context.last_user == "Fix it."
    assert [(r.tool, r.text, r.is_error) for r in cause.context.tool_results] == [
        ("run_tests", "boom", True)
    ]
    assert cause.context.tools_offered == ("run_tests",)


def test_responses_api_function_calls(tmp_path: Path) -> None:
    output = {
        "object": "response",
        "output": [
            {
                "type": "function_call",
                "call_id": "fc_1",
                "name": "lookup",
                "arguments": '{"q": "x"}',
            }
        ],
    }
    steps = [
        S(
            kind="llm",
            name="responses",
            input={"instructions": SYSTEM, "input": "Look up x."},
            output=output,
        ),
        S(kind="tool", name="lookup", input={"q": "x"}, status="error", error=FAILED),
    ]
    cause, _ = _cause(_open(tmp_path, steps))
    assert (cause.match, cause.tool_call_id) == ("arguments", "fc_1")
    assert (cause.context.system_head, cause.context.last_user) == (SYSTEM, "Look up x.")


def test_a_failing_model_call_is_its_own_cause(tmp_path: Path) -> None:
    steps = [
        S(
            kind="llm",
            name="chat",
            input={"messages": [{"role": "user", "content": "hi"}]},
            status="error",
            error=err("RateLimitError", "429"),
        ),
    ]
    cause, _ = _cause(_open(tmp_path, steps))
    assert (cause.llm_step.number, cause.match, cause.context.last_user) == (1, "self", "hi")


def test_a_request_in_an_unknown_shape_says_so(tmp_path: Path) -> None:
    steps = [
        S(kind="llm", name="chat", input={"prompt": "hi"}, status="error", error=err("E", "x")),
    ]
    cause, _ = _cause(_open(tmp_path, steps))
    assert cause.context is None
    assert cause.context_note == "the request of step 1 is not in a chat shape agentreel reads"


@pytest.mark.parametrize(
    ("outer", "relayed"),
    [
        (err("AssertionError", "1 failed: test_divide"), True),  # the same error, raised again
        (err("TaskFailed", "gave up: AssertionError: 1 failed"), True),  # wrapped, type named
        (err("TaskFailed", "tests: 1 failed: test_divide"), True),  # wrapped, message quoted
        (err("KeyError", "'config'"), False),  # a failure of its own
    ],
)
def test_which_parent_errors_pass_a_child_error_on(outer: Any, relayed: bool) -> None:
    from agentreel.model import Step, StepKind

    def step(number: int, parent: int | None, kind: str, error: Any) -> Step:
        return Step(
            session_id="s",
            number=number,
            span_id=f"{number:016x}",
            parent_number=parent,
            kind=StepKind(kind),
            name=kind,
            status=Status.ERROR,
            started_at=number,
            error=error,
        )

    roots = root_failures([step(1, None, "agent", outer), step(2, 1, "tool", FAILED)])
    assert [r.step.number for r in roots] == ([2] if relayed else [1, 2])


def test_relays_are_followed_outwards_through_nested_agents() -> None:
    from agentreel.model import Step, StepKind

    def step(number: int, parent: int | None, kind: str) -> Step:
        return Step(
            session_id="s",
            number=number,
            span_id=f"{number:016x}",
            parent_number=parent,
            kind=StepKind(kind),
            name=f"{kind}{number}",
            status=Status.ERROR,
            started_at=number,
            error=FAILED,
        )

    roots = root_failures([step(1, None, "agent"), step(2, 1, "agent"), step(3, 2, "tool")])
    assert [r.step.number for r in roots] == [3]
    assert [s.number for s in roots[0].propagated_by] == [2, 1]
    assert roots[0].step.path == ("agent1", "agent2")
