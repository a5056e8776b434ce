"""Bad input: missing fields, foreign instrumentations, odd shapes, lost blobs, huge sessions.

The detectors never raise on a session's data. What they could not check is
listed in ``unchecked``; what they could check is still checked.
"""

from __future__ import annotations

from collections.abc import Collection

import pytest

from agentreel.detectors import DETECTORS, SessionReport, analyze
from agentreel.model import ErrorInfo, Status
from agentreel.payloads import PayloadEncoder
from agentreel.storage import SQLiteStore

from ._write import S, answer, chat, write_session

BUG = "report this as a bug"


def _clean(report: SessionReport) -> None:
    assert not [u for u in report.unchecked if BUG in u], report.unchecked


def test_a_foreign_session_without_payloads_is_listed_as_unchecked(store: SQLiteStore) -> None:
    attributes = {
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o",
        "openinference.span.kind": "LLM",
        "llm.token_count.prompt": 120,
        "weird": {"nested": [1, {"x": None}]},
    }
    steps = [S(kind="agent", name="worker")]
    for _ in range(3):
        steps.append(S(kind="llm", name="openai.chat", parent=1, attributes=attributes))
        steps.append(S(kind="tool", name="search", parent=1, attributes={"tool.name": "search"}))
    report = analyze(store, write_session(store, steps))
    _clean(report)
    assert report.findings == ()
    joined = "\n".join(report.unchecked)
    assert "context-drift: 3 model call(s) have no readable request" in joined
    assert "loop: 6 model or tool step(s) have no recorded input" in joined


def test_missing_fields_and_a_running_session(store: SQLiteStore) -> None:
    steps = [
        S(kind="agent", name="", ended=False, status="running"),
        S(kind="llm", name="", parent=1, status="error", input={"messages": []}),
        S(kind="tool", name="t", parent=99, status="error"),  # a parent that is not there
        S(kind="custom", name="x", parent=2, ended=False, status="running"),
        S(kind="tool", name="t", parent=99, status="error"),
    ]
    report = analyze(store, write_session(store, steps, status=Status.RUNNING))
    _clean(report)
    assert "session: it is still running; findings cover the steps recorded so far" in (
        report.unchecked
    )


def test_odd_payload_shapes_are_read_as_unknown(store: SQLiteStore) -> None:
    odd_inputs = [
        {"messages": "just a string"},
        {"messages": {"role": "user"}},
        {"messages": [{"role": 3, "content": [{"type": "image"}, 7, None]}], "tools": "all"},
        {"request": {"messages": [{"role": "system", "content": None}], "tools": [1, {"x": 1}]}},
        {"input": [{"type": "function_call_output", "output": {"a": 1}}], "instructions": 5},
        ["not", "a", "dict"],
        42,
    ]
    odd_outputs = [
        {"choices": []},
        {"choices": [{"message": {"tool_calls": [{"function": None}, {"function": {"name": 1}}]}}]},
        {"choices": [{"message": {"tool_calls": [{"function": {"name": "t", "arguments": {}}}]}}]},
        {"content": [{"type": "tool_use", "name": "t", "input": "not json"}], "type": "message"},
        {"output": [{"type": "function_call", "name": "t", "arguments": "{]"}], "object": "x"},
        [1, 2],
        None,
    ]
    steps = []
    for given, got in zip(odd_inputs, odd_outputs, strict=True):
        steps.append(S(kind="agent", name="a"))
        parent = len(steps)
        steps.append(S(kind="llm", name="m", parent=parent, input=given, output=got))
        steps.append(S(kind="tool", name="t", parent=parent, input=given, output=got))
    steps.append(S(kind="plan", name="plan", output=17))
    steps.append(S(kind="plan", name="plan", output={"steps": [None, 3, {"agent": 4}]}))
    report = analyze(store, write_session(store, steps))
    _clean(report)
    # What the odd answers ask for is still checked where it can be.
    assert sorted((f.kind, f.steps) for f in report.findings) == [
        ("schema-violation", (14, 15)),
        ("unknown-tool", (11, 12)),
    ]
    assert any("the plan of step" in u and "lists no steps" in u for u in report.unchecked)


def test_a_payload_missing_from_the_store_is_reported(store: SQLiteStore) -> None:
    steps = [
        S(kind="llm", name="m", input_ref="ab" * 32),
        S(kind="tool", name="t", input={"path": "a"}),
    ]
    report = analyze(store, write_session(store, steps))
    _clean(report)
    assert any(
        u.startswith("payloads: the store lacks payloads of step 1") for u in report.unchecked
    )


def test_a_rule_whose_check_raises_is_turned_off_and_said_so(store: SQLiteStore) -> None:
    from agentreel.detectors import DetectorConfig, Rule

    def broken(text: str) -> bool:
        raise ValueError("oops")

    steps = [
        S(kind="agent", name="a"),
        S(kind="llm", name="m", parent=1, input=chat("Be nice."), output=answer("hello")),
    ]
    config = DetectorConfig(rules=(Rule("r", check=broken),))
    report = analyze(store, write_session(store, steps), config=config)
    expected = (
        "context-drift: rule 'r': its check raised ValueError: oops; the rule was not "
        "checked further"
    )
    assert expected in report.unchecked


def test_a_detector_that_fails_leaves_the_others_standing(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentreel.detectors import _analyze

    def explode(ctx: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setitem(_analyze._FAMILIES, "loop", (explode,))
    steps = [
        S(
            kind="tool",
            name="t",
            input={"x": 1},
            status="error",
            error=ErrorInfo(type="E", message="m"),
        ),
        S(
            kind="tool",
            name="t",
            input={"x": 1},
            status="error",
            error=ErrorInfo(type="E", message="m"),
        ),
    ]
    report = analyze(store, write_session(store, steps))
    assert any(
        u.startswith("loop: stopped on this session's data (KeyError") for u in report.unchecked
    )
    assert [f.kind for f in report.findings] == ["retried-unchanged"]


def _huge(store: SQLiteStore, agents: int, calls: int) -> str:
    """``agents`` agents, each a conversation of ``calls`` model calls and tool calls."""
    steps: list[S] = []
    for a in range(agents):
        steps.append(S(kind="agent", name=f"agent-{a % 7}"))
        parent = len(steps)
        history: list[dict[str, str]] = [{"role": "user", "content": f"Do part {a}."}]
        for c in range(calls):
            request = chat("You are a worker. Never delete files.", *history, tools=["read"])
            path = f"src/m{a}/f{c}.py"
            steps.append(
                S(
                    kind="llm",
                    name="chat",
                    parent=parent,
                    input=request,
                    output=answer(None, ("read", f'{{"path": "{path}"}}')),
                    model="gpt-4o-mini",
                    tokens=(300 + 40 * c, 20),
                    cost=0.0001,
                )
            )
            steps.append(
                S(kind="tool", name="read", parent=parent, input={"path": path}, output="x")
            )
            history = [*history, {"role": "tool", "content": f"contents of {path}"}]
    return write_session(store, steps, encoder=PayloadEncoder())


class _Reads:
    """What the detectors fetched from the store: queries, digests and bytes."""

    def __init__(self, store: SQLiteStore) -> None:
        self.queries = self.digests = self.bytes = 0
        self._get = store.get_blobs
        store.get_blobs = self  # type: ignore[method-assign]

    def __call__(self, digests: Collection[str]) -> dict[str, bytes]:
        found = self._get(digests)
        self.queries += 1
        self.digests += len(digests)
        self.bytes += sum(map(len, found.values()))
        return found


def test_a_ten_thousand_step_session_is_read_in_linear_size(store: SQLiteStore) -> None:
    # How fast is measured by bench/detectors.py; here, that the reading cannot
    # turn quadratic: a conversation resends its history with every call, and
    # the detectors must not read it again each time.
    wide = _huge(store, agents=100, calls=50)  # 100 conversations of 50 calls
    deep = _huge(store, agents=20, calls=250)  # 20 conversations of 250 calls
    per_step = []
    for session_id in (wide, deep):
        steps = len(store.get_steps(session_id))
        assert 10_000 <= steps <= 10_100
        reads = _Reads(store)
        report = analyze(store, session_id)
        _clean(report)
        assert report.findings == ()
        assert reads.queries <= 3  # one per level of the payloads, not one per step
        per_step.append((reads.digests / steps, reads.bytes / steps))
    (wide_digests, wide_bytes), (deep_digests, deep_bytes) = per_step
    # Five times longer conversations, the same reading per step.
    assert deep_digests <= 1.05 * wide_digests and deep_bytes <= 1.05 * wide_bytes, per_step
    assert wide_digests < 2 and wide_bytes < 400, per_step


@pytest.mark.parametrize("detector", DETECTORS)
def test_each_detector_runs_alone_on_bad_data(store: SQLiteStore, detector: str) -> None:
    steps = [
        S(kind="llm", name="m", input={"messages": [None]}, output={"choices": [None]}),
        S(kind="tool", name="t", status="error"),
        S(kind="tool", name="t", status="error"),
    ]
    report = analyze(store, write_session(store, steps), detectors=[detector])
    _clean(report)
    assert {f.detector for f in report.findings} <= {detector}
