"""How tests/golden/reel-v1.jsonl was made. Kept for the record; do NOT re-run it.

The golden file is a fixture of *format 1 as it was first written*: the test in
tests/reelfile/test_golden.py imports it in every later version of agentreel.
Regenerating it with a newer agentreel would silently turn it into a file of
the newer format and stop testing that old files still load. When the format
changes, copy this script to make_golden_v2.py, point it at reel-v2.jsonl, run
it once and commit both.

    .venv/bin/python tests/golden/make_golden.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentreel.model import ErrorInfo, Session, Status, StepKind, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.reelfile import export_reel
from agentreel.storage import MemoryStore, WriteBatch

OUT = Path(__file__).with_name("reel-v1.jsonl")

SESSION_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
T0 = 1_718_000_000_000_000_000  # 2024-06-10T06:13:20Z, in ns
MS = 1_000_000

SYSTEM = {"role": "system", "content": "You are a careful coding agent. Fix the failing test."}
USER = {"role": "user", "content": "tests/test_calc.py::test_add fails. Make it pass."}
CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {
            "id": "call_run_tests_1",
            "type": "function",
            "function": {"name": "run_tests", "arguments": '{"path": "tests/"}'},
        }
    ],
}
RESULT = {
    "role": "tool",
    "tool_call_id": "call_run_tests_1",
    "content": "FAILED tests/test_calc.py::test_add - assert add(2, 2) == 4 (got 0)",
}
ANSWER = {
    "role": "assistant",
    "content": "add() subtracts instead of adding: change `a - b` to `a + b` in calc.py.",
}
FAILURE = "Command '['pytest', 'tests/']' returned non-zero exit status 1."
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "agent.py", line 42, in run_tests\n'
    "    subprocess.run(cmd, check=True)\n"
    f"subprocess.CalledProcessError: {FAILURE}\n"
)


def main() -> None:
    if OUT.exists():
        raise SystemExit(
            f"{OUT} exists and must never be regenerated (see this script's docstring)"
        )
    encoder = PayloadEncoder()
    blobs: dict[str, bytes] = {}

    def ref(value: Any) -> str:
        encoded = encoder.encode(value)
        blobs.update(encoded.blobs)
        return encoded.root

    def row(
        number: int, kind: StepKind, name: str, start_ms: int, end_ms: int, **kw: Any
    ) -> StepRow:
        values: dict[str, Any] = {
            "session_id": SESSION_ID,
            "number": number,
            "span_id": f"00f067aa0ba902{number:02x}",
            "parent_number": None if number == 1 else 1,
            "parent_span_id": None if number == 1 else "00f067aa0ba90201",
            "kind": str(kind),
            "name": name,
            "status": str(Status.OK),
            "started_at": T0 + start_ms * MS,
            "ended_at": T0 + end_ms * MS,
            "attributes": {},
            "model": None,
            "tokens_in": 0,
            "tokens_out": 0,
            "tokens_cached": 0,
            "tokens_reasoning": 0,
            "cost": None,
            "input_ref": None,
            "output_ref": None,
            "error": None,
        }
        values.update(kw)
        return StepRow(**values)

    task = {"task": "make tests/test_calc.py::test_add pass", "repo": "calc"}
    steps = [
        row(1, StepKind.AGENT, "fixer", 0, 4200, input_ref=ref(task),
            output_ref=ref({"summary": ANSWER["content"], "patched": ["calc.py"]})),
        row(2, StepKind.PLAN, "plan", 5, 40, input_ref=ref(task),
            output_ref=ref({"steps": ["run the tests", "read the failure", "patch calc.py"]})),
        row(3, StepKind.LLM, "chat.completions", 45, 1245, model="gpt-4o-mini",
            attributes={"gen_ai.system": "openai", "temperature": 0},
            tokens_in=412, tokens_out=23, tokens_cached=128, cost=7.56e-05,
            input_ref=ref({"model": "gpt-4o-mini", "temperature": 0, "messages": [SYSTEM, USER]}),
            output_ref=ref(CALL)),
        row(4, StepKind.TOOL, "run_tests", 1250, 2950, status=str(Status.ERROR),
            attributes={"exit_code": 1},
            input_ref=ref({"path": "tests/"}),
            error=ErrorInfo(type="subprocess.CalledProcessError", message=FAILURE,
                            traceback=TRACEBACK)),
        row(5, StepKind.EVENT, "retry", 2955, 2955,
            attributes={"reason": "tool failed; asking the model", "attempt": 2}),
        row(6, StepKind.LLM, "chat.completions", 2960, 4150, model="gpt-4o-mini",
            attributes={"gen_ai.system": "openai", "temperature": 0},
            tokens_in=530, tokens_out=61, cost=0.0001161,
            input_ref=ref({"model": "gpt-4o-mini", "temperature": 0,
                           "messages": [SYSTEM, USER, CALL, RESULT]}),
            output_ref=ref(ANSWER)),
    ]  # fmt: skip
    session = Session(
        id=SESSION_ID,
        name="fix-failing-test",
        project="calc",
        tags=("demo", "golden"),
        metadata={"repo": "calc", "branch": "main", "agent_version": "0.3.1"},
        status=Status.OK,
        started_at=T0,
        ended_at=T0 + 4200 * MS,
    )
    store = MemoryStore()
    store.write(WriteBatch(sessions=[session], steps=steps, blobs=blobs))
    summary = export_reel(store, [SESSION_ID], OUT, compress=False)
    print(f"wrote {OUT}: {summary}")


if __name__ == "__main__":
    main()
