"""Each check on small hand-written sessions: what it reports, and what it leaves alone."""

from __future__ import annotations

from typing import Any

from agentreel.detectors import DetectorConfig, Rule, analyze
from agentreel.model import ErrorInfo, Status
from agentreel.storage import SQLiteStore

from ._write import MS, T0, S, answer, chat, write_session

RULES = "Never delete files. Always run the tests before you answer."


def _found(store: SQLiteStore, steps: list[S], **config: Any) -> set[tuple[str, tuple[int, ...]]]:
    report = analyze(store, write_session(store, steps), config=DetectorConfig(**config))
    return {(f.kind, f.steps) for f in report.findings}


def _calls(*systems: str | None, task: str = "Fix the parser.") -> list[S]:
    """One agent whose successive model calls carry these system prompts."""
    steps = [S(kind="agent", name="fixer")]
    history: list[dict[str, str]] = [{"role": "user", "content": task}]
    for i, system in enumerate(systems):
        steps.append(S(kind="llm", parent=1, input=chat(system, *history), output=answer("ok")))
        history = [*history, {"role": "assistant", "content": f"step {i}"}]
    return steps


def test_dropped_truncated_and_altered_instructions(store: SQLiteStore) -> None:
    assert _found(store, _calls(RULES, RULES, None, RULES)) == {("instruction-dropped", (3, 4))}
    assert _found(store, _calls(RULES, RULES, RULES[:30])) == {("instruction-dropped", (3, 4))}
    changed = RULES.replace("Never delete files.", "Feel free to delete files.")
    assert _found(store, _calls(RULES, changed)) == {("instruction-altered", (2, 3))}


def test_what_is_not_drift(store: SQLiteStore) -> None:
    counter = [f"{RULES}\nTurn {i}, {1000 + 37 * i} tokens used." for i in range(4)]
    assert _found(store, _calls(*counter)) == set()  # numbers move, words stay
    reordered = "Always run the tests before you answer. Never delete files."
    assert _found(store, _calls(RULES, reordered, RULES + " Be brief.")) == set()
    # Two agents sharing one parent, each with its own prompt: two conversations.
    other = "You are the reviewer. Comment on style only."
    steps = [
        S(kind="llm", input=chat(RULES, {"role": "user", "content": "Fix."}), output=answer("a")),
        S(
            kind="llm",
            input=chat(other, {"role": "user", "content": "Review."}),
            output=answer("b"),
        ),
        S(kind="llm", input=chat(RULES, {"role": "user", "content": "Fix."}), output=answer("c")),
    ]
    assert _found(store, steps) == set()
    # A batch: every call a new prompt, so the first prompt is no standing brief.
    batch = [S(kind="agent", name="summariser")] + [
        S(
            kind="llm",
            parent=1,
            input=chat(RULES, {"role": "user", "content": f"Summarise file {n}."}),
        )
        for n in range(3)
    ]
    assert _found(store, batch) == set()


def test_rules_on_inputs_and_on_tools_no_model_asked_for(store: SQLiteStore) -> None:
    secret = {"role": "user", "content": "The password is hunter2, keep it."}
    steps = [
        S(kind="llm", input=chat("Sys.", secret), output=answer("ok")),
        S(kind="llm", input=chat("Sys.", secret, {"role": "user", "content": "go"})),
        S(kind="tool", name="shell", input={"command": "git push --force origin main"}),
    ]
    rules = (
        Rule("no-secrets-in-prompts", pattern="password is", applies_to="input"),
        Rule("no-force-push", check=lambda text: "--force" not in text),
    )
    assert _found(store, steps, rules=rules) == {("rule-violated", (1,)), ("rule-violated", (3,))}


def _planned(*agents: tuple[str, str | None], status: Status = Status.OK) -> list[S]:
    plan = {"steps": [{"id": "s1", "agent": "fixer"}, {"id": "s2", "agent": "verifier"}]}
    steps = [S(kind="agent", name="planner"), S(kind="plan", name="plan", parent=1, output=plan)]
    for name, claimed in agents:
        steps.append(
            S(kind="agent", name=name, attributes={"plan_step": claimed} if claimed else {})
        )
    return steps


def test_plan_deviations(store: SQLiteStore) -> None:
    assert _found(store, _planned(("fixer", "s1"), ("verifier", "s2"))) == set()
    assert _found(store, _planned(("fixer", "s1"), ("verifier", "s9"))) == {
        ("plan-deviation", (4, 2))
    }
    assert _found(store, _planned(("verifier", "s1"), ("fixer", "s2"))) == {
        ("plan-deviation", (3, 2)),
        ("plan-deviation", (4, 2)),
    }
    assert _found(store, _planned(("fixer", "s1"))) == {("plan-deviation", (2,))}  # skipped


def test_tool_calls_checked_without_a_tool_list_and_against_configured_schemas(
    store: SQLiteStore,
) -> None:
    offered = chat("Sys.", {"role": "user", "content": "go"}, tools=["read"])
    bare = {"messages": [{"role": "user", "content": "go on"}]}  # no tools field at all
    steps = [
        S(kind="llm", input=offered, output=answer(None, ("read", '{"path": "a"}'))),
        S(kind="tool", name="read", input={"path": "a"}),
        S(kind="llm", input=bare, output=answer(None, ("rm", "{}"))),
        S(kind="tool", name="deploy", input={"env": "prod"}),
    ]
    schemas = {"deploy": {"type": "object", "properties": {"env": {"enum": ["staging"]}}}}
    assert _found(store, steps, tool_schemas=schemas) == {
        ("unknown-tool", (3,)),
        ("schema-violation", (4,)),
    }


def _tool(name: str, arguments: dict[str, Any], ok: bool = True, output: Any = "done") -> S:
    if ok:
        return S(kind="tool", name=name, input=arguments, output=output)
    return S(
        kind="tool", name=name, input=arguments, status="error",
        error=ErrorInfo(type="TimeoutError", message="timed out"),
    )  # fmt: skip


def test_retries_streaks_and_polling(store: SQLiteStore) -> None:
    url = {"url": "https://x.test"}
    assert _found(store, [_tool("fetch", url, ok=False), _tool("fetch", url)]) == set()
    assert _found(store, [_tool("fetch", url, ok=False), _tool("fetch", url, ok=False)]) == {
        ("retried-unchanged", (1, 2))
    }
    streak = [_tool("fetch", {"url": f"https://x.test/{i}"}, ok=False) for i in range(3)]
    assert _found(store, streak) == {("error-streak", (1, 2, 3))}
    polls = [_tool("status", {}, output={"progress": p}) for p in (10, 50, 90)]
    assert _found(store, polls) == set()
    same = [_tool("status", {}, output={"progress": 10}) for _ in range(3)]
    assert _found(store, same) == {("repeated-step", (1, 2, 3))}
    asked = chat("Sys.", {"role": "user", "content": "go"})
    again = [S(kind="llm", input=asked, output=answer("?")) for _ in range(3)]
    assert _found(store, again) == {("repeated-step", (1, 2, 3))}


def test_a_claim_after_an_error_result(store: SQLiteStore) -> None:
    steps = [
        S(kind="agent", name="verifier"),
        S(kind="tool", name="run_tests", parent=1, output={"ok": False, "failed": 2}),
        S(kind="llm", parent=1, input=chat("Sys."), output=answer("All tests pass.")),
    ]
    assert _found(store, steps) == {("false-success", (2, 3))}


def _priced(store: SQLiteStore, start: int, cost: float) -> str:
    steps = [S(kind="llm", name="m", model="gpt-4o", tokens=(1000, 100), cost=cost)]
    return write_session(store, steps, project="budgeted", start=start)


def test_the_burn_rate_warns_before_the_budget_is_gone_and_errs_after(store: SQLiteStore) -> None:
    hour = 3600 * 1000 * MS
    first = _priced(store, T0, 1.0)
    config = DetectorConfig(daily_budget_usd=100.0)
    assert analyze(store, first, config=config).findings == ()
    burst = [_priced(store, T0 + 2 * hour + i * MS * 1000, 1.5) for i in range(3)]
    (warning,) = analyze(store, burst[-1], config=config).findings
    assert (warning.kind, warning.severity, warning.steps) == ("burn-rate", "warning", ())
    assert warning.evidence["spent_window_usd"] == 4.5  # the first session is hours older
    assert warning.evidence["projected_24h_usd"] == 108.0
    assert warning.evidence["spent_24h_usd"] == 5.5
    late = _priced(store, T0 + 20 * hour, 95.0)
    (error,) = analyze(store, late, config=config).findings
    assert (error.kind, error.severity) == ("burn-rate", "error")
    unset = analyze(store, late)
    assert any("no daily budget is set" in line for line in unset.unchecked)


def test_a_failure_from_outside_the_baseline_window_is_not_recurring(store: SQLiteStore) -> None:
    def failing(start: int) -> str:
        step = _tool("fetch", {"url": "u"}, ok=False)
        return write_session(store, [step], project="w", start=start, status=Status.ERROR)

    def quiet(start: int) -> str:
        return write_session(store, [_tool("fetch", {"url": "u"})], project="w", start=start)

    failing(T0)
    quiet(T0 + MS * 1000)
    quiet(T0 + MS * 2000)
    last = failing(T0 + MS * 3000)
    narrow = DetectorConfig(baseline_sessions=2)
    assert analyze(store, last, config=narrow).findings == ()
    (finding,) = analyze(store, last).findings
    assert (finding.kind, finding.severity, finding.evidence["earlier_sessions"]) == (
        "recurring", "warning", 1
    )  # fmt: skip
