"""The committed golden reel files keep importing, with every field intact.

tests/golden/reel-v1.jsonl was written once, by the format-1 exporter, with
tests/golden/make_golden.py. It must keep importing in every later version of
agentreel, unchanged: that is the promise that reel files attached to bug
reports and committed as regression fixtures stay readable. NEVER regenerate
or edit it to make this test pass; a new format gets a new golden file
(reel-v2.jsonl, ...) and a migration, and this test stays as it is.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from agentreel.model import ErrorInfo, Status, StepKind, StepTree, TokenUsage, session_totals
from agentreel.reelfile import import_reel, read_reel
from agentreel.storage import SQLiteStore, load_payload

GOLDEN = Path(__file__).parent.parent / "golden"
SESSION = "4bf92f3577b34da6a3ce929d0e0e4736"
T0 = 1_718_000_000_000_000_000
SYSTEM = {"role": "system", "content": "You are a careful coding agent. Fix the failing test."}
USER = {"role": "user", "content": "tests/test_calc.py::test_add fails. Make it pass."}


def test_golden_v1_is_the_file_first_written() -> None:
    # Guards the docstring's rule: a regenerated or edited golden file fails here.
    data = (GOLDEN / "reel-v1.jsonl").read_bytes().replace(b"\r\n", b"\n")
    assert hashlib.sha256(data).hexdigest() == (
        "8e50d2da91a0b845619592641dc2a60061b91845fa14096558dfc0b785fc9e01"
    )


def test_golden_v1_is_format_1() -> None:
    reel = read_reel(GOLDEN / "reel-v1.jsonl")
    assert reel.format_version == 1
    assert [s.id for s in reel.sessions] == [SESSION]
    assert len(reel.steps) == 6
    assert len(reel.blobs) == 13


def test_golden_v1_imports_with_every_field(target: SQLiteStore) -> None:
    summary = import_reel(target, GOLDEN / "reel-v1.jsonl")
    assert summary.session_ids == (SESSION,)
    assert (summary.steps, summary.blobs, summary.replaced) == (6, 13, ())

    session = target.get_session(SESSION)
    assert session.name == "fix-failing-test"
    assert session.project == "calc"
    assert session.tags == ("demo", "golden")
    assert session.metadata == {"repo": "calc", "branch": "main", "agent_version": "0.3.1"}
    assert session.status is Status.OK
    assert (session.started_at, session.duration_ns) == (T0, 4_200_000_000)
    assert session.forked_from is None
    assert session.trace_id is None

    steps = target.get_steps(SESSION)
    assert [(s.number, s.kind, s.name) for s in steps] == [
        (1, StepKind.AGENT, "fixer"),
        (2, StepKind.PLAN, "plan"),
        (3, StepKind.LLM, "chat.completions"),
        (4, StepKind.TOOL, "run_tests"),
        (5, StepKind.EVENT, "retry"),
        (6, StepKind.LLM, "chat.completions"),
    ]
    tree = StepTree.build(steps)
    assert [s.number for s in tree.roots] == [1]
    assert [s.number for s in tree.children_of(1)] == [2, 3, 4, 5, 6]
    assert steps[1].parent_span_id == steps[0].span_id == "00f067aa0ba90201"

    chat = steps[2]
    assert chat.model == "gpt-4o-mini"
    assert chat.usage == TokenUsage(input=412, output=23, cached=128, reasoning=0)
    assert chat.cost == 7.56e-05
    assert chat.attributes == {"gen_ai.system": "openai", "temperature": 0}

    tool = steps[3]
    assert tool.status is Status.ERROR
    assert tool.output_ref is None
    assert tool.error == ErrorInfo(
        type="subprocess.CalledProcessError",
        message="Command '['pytest', 'tests/']' returned non-zero exit status 1.",
        traceback=(
            "Traceback (most recent call last):\n"
            '  File "agent.py", line 42, in run_tests\n'
            "    subprocess.run(cmd, check=True)\n"
            "subprocess.CalledProcessError: Command '['pytest', 'tests/']' returned non-zero "
            "exit status 1.\n"
        ),
    )
    event = steps[4]
    assert event.duration_ns == 0
    assert event.attributes == {"reason": "tool failed; asking the model", "attempt": 2}

    totals = session_totals(steps)
    assert totals.usage == TokenUsage(input=942, output=84, cached=128, reasoning=0)
    assert round(totals.cost, 10) == 0.0001917
    assert totals.errors == 1


def test_golden_v1_payloads_decode(target: SQLiteStore) -> None:
    import_reel(target, GOLDEN / "reel-v1.jsonl")
    steps = {s.number: s for s in target.get_steps(SESSION)}

    def payload(number: int, side: str) -> object:
        ref = getattr(steps[number], f"{side}_ref")
        assert ref is not None
        return load_payload(target, ref)

    assert payload(1, "input") == {"task": "make tests/test_calc.py::test_add pass", "repo": "calc"}
    assert payload(2, "output") == {"steps": ["run the tests", "read the failure", "patch calc.py"]}
    assert payload(3, "input") == {
        "model": "gpt-4o-mini",
        "temperature": 0,
        "messages": [SYSTEM, USER],
    }
    call = payload(3, "output")
    assert call == {
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
    assert payload(4, "input") == {"path": "tests/"}
    second = payload(6, "input")
    assert isinstance(second, dict)
    assert second["messages"] == [
        SYSTEM,
        USER,
        call,
        {
            "role": "tool",
            "tool_call_id": "call_run_tests_1",
            "content": "FAILED tests/test_calc.py::test_add - assert add(2, 2) == 4 (got 0)",
        },
    ]
    assert payload(6, "output") == {
        "role": "assistant",
        "content": "add() subtracts instead of adding: change `a - b` to `a + b` in calc.py.",
    }
