"""The three demo scenarios: a task, the repository it starts from, and the model's script."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from . import _fixtures
from ._model import Reply, ToolCall

__all__ = ["SCENARIOS", "Scenario"]

PLANNER_MODEL = "claude-sonnet-4-5"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One demo session: what the agents are asked, on which files, and what they answer."""

    name: str
    #: What the session shows, in one line (for the CLI and the docs).
    shows: str
    task: str
    repo: Callable[[], dict[str, str]]
    script: tuple[Reply, ...]
    worker_model: str
    planner_model: str = PLANNER_MODEL
    #: The session is meant to end in error (the agents give up).
    fails: bool = False

    @property
    def tags(self) -> tuple[str, ...]:
        return ("demo", self.name)

    @property
    def metadata(self) -> dict[str, str]:
        return {"repo": "calc", "scenario": self.name}


def _plan(goal: str, *steps: tuple[str, str]) -> Reply:
    body = {
        "goal": goal,
        "steps": [{"id": f"s{i}", "agent": a, "task": t} for i, (a, t) in enumerate(steps, 1)],
    }
    return Reply(agent="planner", turn=0, content=json.dumps(body, indent=2))


def _call(name: str, **arguments: str) -> tuple[ToolCall, ...]:
    return (ToolCall(name=name, arguments=arguments),)


_EDITED = '"edited": true'

DIVIDE_BY_ZERO = Scenario(
    name="fix-divide-by-zero",
    shows="a clean run: plan, investigate, fix, verify; every step green",
    task="tests/test_arith.py::test_divide_by_zero fails. Make it pass without breaking the rest.",
    repo=_fixtures.divide_by_zero_repo,
    worker_model="gpt-4o-mini",
    script=(
        _plan(
            "Make tests/test_arith.py::test_divide_by_zero pass",
            ("investigator", "Run tests/test_arith.py and find out why test_divide_by_zero fails."),
            ("fixer", "Make divide() in calc/arith.py raise ValueError for a zero divisor."),
            ("verifier", "Run tests/test_arith.py and confirm that every test passes."),
        ),
        Reply(
            agent="investigator", turn=0, tool_calls=_call("run_tests", path="tests/test_arith.py")
        ),
        Reply(
            agent="investigator",
            turn=1,
            when="ZeroDivisionError",
            tool_calls=_call("read_file", path="calc/arith.py"),
        ),
        Reply(
            agent="investigator",
            turn=2,
            content="test_divide_by_zero expects ValueError, but divide() in calc/arith.py "
            "computes `a / b` unguarded, so divide(1, 0) raises ZeroDivisionError. "
            "test_add and test_divide pass.",
        ),
        Reply(agent="fixer", turn=0, tool_calls=_call("read_file", path="calc/arith.py")),
        Reply(
            agent="fixer",
            turn=1,
            when="def divide(a, b):",
            tool_calls=_call(
                "edit_file",
                path="calc/arith.py",
                old="def divide(a, b):\n    return a / b\n",
                new="def divide(a, b):\n    if b == 0:\n"
                '        raise ValueError("cannot divide by zero")\n    return a / b\n',
            ),
        ),
        Reply(
            agent="fixer",
            turn=2,
            when=_EDITED,
            content='divide() now raises ValueError("cannot divide by zero") when b == 0; '
            "nothing else changed.",
        ),
        Reply(agent="verifier", turn=0, tool_calls=_call("run_tests", path="tests/test_arith.py")),
        Reply(
            agent="verifier",
            turn=1,
            when='"summary": "3 passed"',
            content="All 3 tests in tests/test_arith.py pass.",
        ),
    ),
)

FLAKY_IMPORT = Scenario(
    name="fix-flaky-import",
    shows="the same tool failure twice: run_tests raises the same ModuleNotFoundError "
    "before and after a fix that changed the wrong file",
    task="CI fails on tests/test_arith.py with an import error since the last release. "
    "Make the test suite pass again.",
    repo=_fixtures.broken_import_repo,
    worker_model="gpt-4o-mini",
    fails=True,
    script=(
        _plan(
            "Make tests/test_arith.py import and pass again",
            ("investigator", "Run tests/test_arith.py and find which import fails and why."),
            ("fixer", "Make the module that the tests import resolve."),
            ("verifier", "Run tests/test_arith.py and confirm that every test passes."),
        ),
        Reply(
            agent="investigator", turn=0, tool_calls=_call("run_tests", path="tests/test_arith.py")
        ),
        Reply(
            agent="investigator",
            turn=1,
            when="ModuleNotFoundError",
            tool_calls=_call("search_code", query="calc.ops"),
        ),
        Reply(
            agent="investigator",
            turn=2,
            content="The tests cannot be collected: `from calc.ops import add, divide` "
            "(tests/test_arith.py:3) raises ModuleNotFoundError: No module named 'calc.ops'. "
            "Nothing else in the repository mentions calc.ops.",
        ),
        # The wrong fix: the model re-exports the functions from the package
        # instead of correcting the import that fails.
        Reply(agent="fixer", turn=0, tool_calls=_call("read_file", path="calc/__init__.py")),
        Reply(
            agent="fixer",
            turn=1,
            when="tiny arithmetic package",
            tool_calls=_call(
                "edit_file",
                path="calc/__init__.py",
                old='"""calc: a tiny arithmetic package."""\n',
                new='"""calc: a tiny arithmetic package."""\n\nfrom .arith import add, divide\n',
            ),
        ),
        Reply(
            agent="fixer",
            turn=2,
            when=_EDITED,
            content="calc/__init__.py now imports add and divide from calc.arith, so the "
            "package provides the functions the tests need.",
        ),
        Reply(agent="verifier", turn=0, tool_calls=_call("run_tests", path="tests/test_arith.py")),
        Reply(
            agent="verifier",
            turn=1,
            when="ModuleNotFoundError",
            content="The tests still fail with the same error as before the fix: "
            "ModuleNotFoundError: No module named 'calc.ops'. The change did not touch the "
            "import that fails. Giving up.",
        ),
    ),
)

COST_SPIKE = Scenario(
    name="refactor-with-cost-spike",
    shows="a cost spike: the reviewer pastes the whole repository into one prompt",
    task="Refactor calc.stats.mean() to reuse calc.arith.divide() instead of repeating the "
    "zero check. Behaviour must not change.",
    repo=_fixtures.refactor_repo,
    worker_model="gpt-4.1",
    script=(
        _plan(
            "mean() reuses divide(); all tests still pass",
            ("investigator", "Find every place that checks for a zero divisor."),
            ("fixer", "Make mean() call divide() and drop its own zero check."),
            ("reviewer", "Review the change against the rest of the repository."),
            ("verifier", "Run the whole test suite (tests/) and confirm that every test passes."),
        ),
        Reply(
            agent="investigator",
            turn=0,
            tool_calls=_call("search_code", query="cannot divide by zero"),
        ),
        Reply(
            agent="investigator",
            turn=1,
            when="calc/stats.py",
            content='Two copies of the zero check raise ValueError("cannot divide by zero"): '
            "divide() at calc/arith.py:10 and mean() at calc/stats.py:10.",
        ),
        Reply(agent="fixer", turn=0, tool_calls=_call("read_file", path="calc/stats.py")),
        Reply(
            agent="fixer",
            turn=1,
            when="def mean(values):",
            tool_calls=(
                ToolCall(
                    name="edit_file",
                    arguments={
                        "path": "calc/stats.py",
                        "old": '"""Summary statistics."""\n',
                        "new": '"""Summary statistics."""\n\nfrom .arith import divide\n',
                    },
                ),
                ToolCall(
                    name="edit_file",
                    arguments={
                        "path": "calc/stats.py",
                        "old": "    if len(values) == 0:\n"
                        '        raise ValueError("cannot divide by zero")\n'
                        "    return sum(values) / len(values)\n",
                        "new": "    return divide(sum(values), len(values))\n",
                    },
                ),
            ),
        ),
        Reply(
            agent="fixer",
            turn=2,
            when=_EDITED,
            content="mean() now returns divide(sum(values), len(values)); an empty list "
            "raises divide()'s ValueError, as before.",
        ),
        Reply(
            agent="reviewer",
            turn=0,
            content="Approve. mean([]) calls divide(0, 0), which raises the same ValueError as "
            "before, and mean() of other lists is unchanged. Nothing else calls mean() or "
            "repeats the check; calc/units.py is a generated table and is unaffected.",
        ),
        Reply(agent="verifier", turn=0, tool_calls=_call("run_tests", path="tests")),
        Reply(
            agent="verifier",
            turn=1,
            when='"summary": "6 passed"',
            content="All 6 tests pass (tests/test_arith.py and tests/test_stats.py).",
        ),
    ),
)

#: The scenarios in the order ``run_demo`` records them.
SCENARIOS: tuple[Scenario, ...] = (DIVIDE_BY_ZERO, FLAKY_IMPORT, COST_SPIKE)
