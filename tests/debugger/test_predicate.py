"""The breakpoint condition language: what it accepts, what it means, what it refuses."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import agentreel.debugger
from agentreel.debugger import (
    BreakpointError,
    MissingField,
    PredicateError,
    Unknown,
    parse_condition,
    parse_predicate,
)
from agentreel.debugger._parser import MAX_NESTING

#: A step as the resolver below sees it.
STEP: dict[str, Any] = {
    "number": 12,
    "parent": 4,
    "kind": "tool",
    "name": "run_tests",
    "status": "error",
    "model": None,
    "cost": None,
    "tokens": {"input": 12000, "output": 50, "total": 12050},
    "duration": 0.25,
    "error": {"type": "ValueError", "message": "boom"},
    "attributes": {"retries": 2, "flaky": True, "gen_ai.system": "openai"},
    "input": {"path": "tests/", "messages": [{"role": "system", "content": "hi"}]},
}


def resolve(path: Sequence[str]) -> Any:
    """Read a dotted path out of STEP, the way StepFields does (without a store)."""
    value: Any = STEP
    rest = list(path)
    while rest:
        if isinstance(value, dict):
            for end in range(len(rest), 0, -1):
                key = ".".join(rest[:end])
                if key in value:
                    value, rest = value[key], rest[end:]
                    break
            else:
                raise MissingField(f"no {'.'.join(path)}")
        elif isinstance(value, list) and rest[0].isdigit() and int(rest[0]) < len(value):
            value, rest = value[int(rest[0])], rest[1:]
        else:
            raise MissingField(f"no {'.'.join(path)}")
    return value


def check(source: str) -> Any:
    return parse_predicate(source).test(resolve)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("number == 12", True),
        ("number != 12", False),
        ("12 == number", True),
        ("tokens.input >= 10000", True),
        ("tokens.input > 12000", False),
        ("tokens.input < 12000.5", True),
        ("tokens.output <= 50", True),
        ("duration > 0.2", True),
        ("duration > 2.5e-1", False),
        ("number > -1", True),
        ('status == "error"', True),
        ("status == 'error'", True),
        ("status == 'ok'", False),
        ('name ~ "run_*"', True),
        ('name ~ "RUN_*"', False),  # globs are case-sensitive
        ('name ~ "run_test?"', True),
        ('name !~ "run_*"', False),
        ("name > 'abc'", True),  # text orders as text
        ("cost == null", True),
        ("cost != null", False),
        ("cost > 0.01", False),  # nothing priced is not more than a cent
        ("cost < 0.01", False),  # nor less
        ("not cost > 0.01", True),
        ("model ~ 'gpt-*'", False),
        ("model !~ 'gpt-*'", True),
        ("attributes.flaky == true", True),
        ("attributes.flaky == 1", False),  # a flag is not a count
        ("attributes.retries == 2.0", True),
        ("attributes.gen_ai.system == 'openai'", True),
        ("input.messages.0.role == 'system'", True),
        ("input.path == 'tests/'", True),
        ("error", True),
        ("not error", False),
        ("model", False),
        ("error.type == 'ValueError' and error.message ~ '*oo*'", True),
        ("kind == 'llm' or kind == 'tool'", True),
        ("kind == 'llm' or kind == 'agent'", False),
        ("not kind == 'llm' and not kind == 'agent'", True),
        ("kind == 'llm' and status == 'error' or number == 12", True),  # and binds tighter
        ("kind == 'llm' and (status == 'error' or number == 12)", False),
        ("not not (number == 12)", True),
        ("true", True),
        ("false or null", False),
        ('name == "run\\_tests"', True),  # an escaped character stands for itself
    ],
)
def test_evaluation(source: str, expected: bool) -> None:
    assert check(source) is expected


def test_string_escapes() -> None:
    text = 'say "hi"\\\n\tit\'s'
    for source in (r'name == "say \"hi\"\\\n\tit\'s"', r"""name == 'say "hi"\\\n\tit\'s'"""):
        assert parse_predicate(source).test(lambda path: text) is True


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("attributes.missing == 1", "no attributes.missing"),
        ("input.messages.5.role == 'user'", "no input.messages.5.role"),
        ("output.text == 'x'", "no output.text"),
        ("name > 3", "cannot order 'run_tests' and 3"),
        ("attributes.retries ~ 'x*'", "~ matches text against a text pattern"),
    ],
)
def test_undecidable_conditions_say_why(source: str, reason: str) -> None:
    outcome = check(source)
    assert isinstance(outcome, Unknown)
    assert reason in outcome.reason


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Kleene logic: a decided operand wins over an undecidable one.
        ("attributes.missing == 1 or number == 12", True),
        ("number == 12 or attributes.missing == 1", True),
        ("attributes.missing == 1 and number == 1", False),
        ("number == 1 and attributes.missing == 1", False),
    ],
)
def test_a_decided_operand_wins(source: str, expected: bool) -> None:
    assert check(source) is expected


@pytest.mark.parametrize(
    "source",
    [
        "attributes.missing == 1 or number == 1",
        "attributes.missing == 1 and number == 12",
        "not attributes.missing",
    ],
)
def test_an_undecided_operand_leaves_it_undecided(source: str) -> None:
    assert isinstance(check(source), Unknown)


@pytest.mark.parametrize(
    ("source", "column", "problem"),
    [
        ("", 1, "the condition is empty"),
        ("   ", 1, "the condition is empty"),
        ("cost >", 7, "the condition ends too early"),
        ("cost > > 1", 8, "expected a field or a value, found '>'"),
        ("costs > 1", 1, "unknown field 'costs'"),
        ("kind == tool", 9, 'quote it: "tool"'),
        ("tokens.bogus > 1", 1, "tokens.bogus is not a field"),
        ("kind.length > 1", 1, "kind has no members"),
        ("cost = 1", 6, "use == to test equality"),
        ("cost > 1 && kind == 'llm'", 10, "use and"),
        ("cost > 1 || kind == 'llm'", 10, "use or"),
        ("!error", 1, "use not"),
        ("cost > 1 cost < 2", 10, "join conditions with and / or"),
        ("1 < cost < 2", 10, "comparisons cannot be chained"),
        ("(cost > 1", 10, "expected ')' to close the '(' at column 1"),
        ("cost > 1)", 9, "unexpected ')'"),
        ("name == 'run", 9, "unterminated string"),
        ("tokens > 10k", 10, "malformed number '10k'"),
        ("cost > 1.2.3", 8, "malformed number '1.2.3'"),
        ("error == True", 10, "write true in lowercase"),
        ("and", 1, "expected a field or a value, found 'and'"),
        ("cost > 1 and", 13, "the condition ends too early"),
        ("input[0]", 6, "unexpected '['"),
        ("cost + 1 > 2", 6, "unexpected '+'"),
    ],
)
def test_malformed_conditions_are_parse_errors(source: str, column: int, problem: str) -> None:
    with pytest.raises(PredicateError) as caught:
        parse_predicate(source)
    assert caught.value.column == column
    assert problem in caught.value.problem
    assert (
        str(caught.value)
        == f"bad condition {source.strip()!r}: {caught.value.problem} (column {column})"
    )
    assert isinstance(caught.value, BreakpointError)


@pytest.mark.parametrize(
    "source",
    [
        '__import__("os").system("echo pwned")',
        "__import__('os')",
        "open('/etc/passwd')",
        "().__class__.__bases__",
        "name.__class__ == 1",
        "lambda: 1",
        "[x for x in name]",
        "exec('1')",
        "eval('1')",
        "name.upper()",
        "globals()",
        "{'a': 1}",
    ],
)
def test_python_is_not_a_condition(source: str) -> None:
    with pytest.raises(PredicateError):
        parse_predicate(source)


def test_parsing_and_evaluating_never_reach_python_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the condition language must not call eval, exec or compile")

    for name in ("eval", "exec", "compile", "__import__"):
        monkeypatch.setattr(builtins, name, refuse)
    assert parse_predicate("tokens.input >= 10000 and not name ~ 'x*'").test(resolve) is True
    with pytest.raises(PredicateError):
        parse_predicate('__import__("os").system("true")')


def test_the_debugger_sources_call_no_eval() -> None:
    package = Path(agentreel.debugger.__file__).parent
    called = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called.add(node.func.id)
    assert called, "the scan found no calls at all"
    assert not called & {"eval", "exec", "compile", "__import__"}


def test_nesting_is_bounded_without_blowing_the_stack() -> None:
    deep = "(" * MAX_NESTING + "number == 12" + ")" * MAX_NESTING
    assert parse_predicate(deep).test(resolve) is True
    with pytest.raises(PredicateError, match="nested more than"):
        parse_predicate("(" + deep + ")")
    with pytest.raises(PredicateError, match="nested more than"):
        parse_predicate("not " * 10_000 + "error")
    assert parse_predicate("not " * MAX_NESTING + "error").test(resolve) is True


def test_fields_lists_what_a_condition_reads() -> None:
    predicate = parse_predicate("cost > 1 or (tokens.input > 2 and not cost == null) or 'x' ~ name")
    assert predicate.fields == ("cost", "tokens.input", "name")


@pytest.mark.parametrize(
    ("spec", "described"),
    [
        ("12", "step 12"),
        ("tool", "every tool step"),
        ("kind:retrieval", "every retrieval step"),
        ("run_*", "every step named run_*"),
        ("name:llm", "every step named llm"),
        ("name:mcp:search", "every step named mcp:search"),
        ("tool:run_tests", "every tool step named run_tests"),
        ("error", "every step that failed"),
        ("if cost > 0.01", "every step where cost > 0.01"),
        ("if(cost > 0.01)", "every step where (cost > 0.01)"),
        ("  iffy  ", "every step named iffy"),
    ],
)
def test_breakpoint_specs(spec: str, described: str) -> None:
    assert parse_condition(spec).describe() == described


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "empty"),
        ("if", "if needs a condition"),
        ("if   ", "if needs a condition"),
        ("kind:robot", "'robot' is not a step kind; the kinds are agent, custom"),
        ("tool:", "the name is empty"),
        ("name:", "the name is empty"),
        ("x:y", "'x:' is not a kind of breakpoint; use kind:, name: or tool: (for a step named"),
        ("cost > 0.01", "this looks like a condition: write `break if cost > 0.01`"),
        ("run tests", "this looks like a condition"),
    ],
)
def test_bad_breakpoint_specs(spec: str, problem: str) -> None:
    with pytest.raises(BreakpointError) as caught:
        parse_condition(spec)
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"bad breakpoint {spec!r}: ")
