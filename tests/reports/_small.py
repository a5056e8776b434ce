"""A small agent recorded three times: a failure yesterday, a run that worked, a failure now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentreel.model import ErrorInfo

from ._build import DAY, MS, S, batch, err, openai_call, write

EARLIER, WORKED, FAILED = "a1" * 16, "b2" * 16, "c3" * 16
SYSTEM = "You are a careful engineer. Fix the failing test; never edit the tests."
TASK = "tests/test_arith.py::test_divide_by_zero fails. Make it pass."
RUN_TESTS = {
    "type": "function",
    "function": {
        "name": "run_tests",
        "description": "Run pytest on a path.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
        },
    },
}
REQUEST = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": TASK}],
    "tools": [RUN_TESTS],
}
ASSERTION = err("AssertionError", "expected ValueError from divide(1, 0)")


def _steps(path: str, error: ErrorInfo | None) -> list[S]:
    failed = "error" if error is not None else "ok"
    arguments = json.dumps({"path": path})
    return [
        S(kind="agent", name="fixer", input={"task": TASK}, status=failed, error=error),
        S(
            kind="llm",
            name="chat",
            parent=1,
            model="gpt-4o-mini",
            tokens=(120, 20),
            cost=0.0001,
            input=REQUEST,
            output=openai_call("call_1", "run_tests", arguments),
        ),
        S(
            kind="tool",
            name="run_tests",
            parent=1,
            input={"path": path},
            output=None if error is not None else {"passed": 3},
            status=failed,
            error=error,
        ),
    ]


def sessions() -> list[Any]:
    return [
        batch(
            EARLIER, "fix-divide", _steps("tests/test_arith.py", ASSERTION), offset_ms=-DAY // MS
        ),
        batch(WORKED, "fix-divide", _steps("tests/", None), offset_ms=-1000),
        batch(FAILED, "fix-divide", _steps("tests/test_arith.py", ASSERTION)),
    ]


def write_small(path: Path) -> Path:
    return write(path, *sessions())
