"""Two small fixed sessions for exact CLI output: a prompt edit, an inserted
lint call, a changed argument and a failure."""

from __future__ import annotations

from agentreel.model import ErrorInfo
from agentreel.storage import WriteBatch

from ._build import S, batch

A_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
B_ID = "b1b2c3d4e5f60718293a4b5c6d7e8f90"

SYSTEM_A = "You are a careful engineer.\nFix the failing test.\nNever edit the tests."
SYSTEM_B = "You are a careful engineer.\nFix the failing test.\nNever edit the tests; explain."


def _steps(system: str, *, lint: bool, tests: str, fail: bool) -> list[S]:
    chat = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": "fix"}],
    }
    steps = [
        S(kind="agent", name="fixer", input={"task": "fix"}, output="done"),
        S(
            kind="llm",
            name="chat",
            parent=1,
            model="gpt-4o-mini",
            input=chat,
            output={"role": "assistant", "content": "read calc/arith.py"},
            tokens=(120, 30),
            cost=0.0012,
        ),
        S(kind="tool", name="read_file", parent=1, input={"path": "calc/arith.py"}, output="x"),
    ]
    if lint:
        steps.append(S(kind="tool", name="lint", parent=1, input={"path": "calc"}, output=[]))
    error = ErrorInfo(type="AssertionError", message="1 failed") if fail else None
    steps += [
        S(
            kind="tool",
            name="run_tests",
            parent=1,
            input={"path": tests},
            output=None if fail else {"passed": 3},
            status="error" if fail else "ok",
            error=error,
        ),
        S(kind="event", name="done"),
    ]
    return steps


def session_a() -> WriteBatch:
    return batch(A_ID, "fix-failing-test", _steps(SYSTEM_A, lint=False, tests="tests/", fail=False))


def session_b() -> WriteBatch:
    return batch(
        B_ID, "fix-failing-test", _steps(SYSTEM_B, lint=True, tests="tests/unit", fail=True)
    )
