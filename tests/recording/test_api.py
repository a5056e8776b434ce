"""The recording API against a real SQLite reel: sessions, steps, decorators."""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any

import pytest

import agentreel
from agentreel.model import Status, StepKind, StepTree
from agentreel.storage import Store, load_payload


def _only_session(store: Store) -> str:
    agentreel.flush()
    sessions = store.list_sessions()
    assert len(sessions) == 1, sessions
    return sessions[0].session.id


def test_session_records_name_tags_metadata_and_status(recorded: Store) -> None:
    with agentreel.session("triage", tags=["nightly", "ci"], metadata={"repo": "calc"}) as s:
        assert len(s.id) == 32
        int(s.id, 16)
    agentreel.flush()
    got = recorded.get_session(s.id)
    assert got.name == "triage"
    assert got.tags == ("nightly", "ci")
    assert got.metadata == {"repo": "calc"}
    assert got.status is Status.OK
    assert got.ended_at is not None and got.ended_at >= got.started_at


def test_decorated_functions_record_inputs_outputs_and_nesting(recorded: Store) -> None:
    @agentreel.tool
    def read_file(path: str, *, limit: int = 10) -> str:
        return f"contents of {path}"[:limit]

    @agentreel.agent(name="investigator")
    def investigate(target: str) -> list[str]:
        return [read_file(target), read_file("b.py", limit=3)]

    with agentreel.session("s"):
        assert investigate("a.py") == ["contents o", "con"]
    sid = _only_session(recorded)
    steps = recorded.get_steps(sid)
    assert [(s.number, s.kind, s.name, s.parent_number) for s in steps] == [
        (1, StepKind.AGENT, "investigator", None),
        (2, StepKind.TOOL, "read_file", 1),
        (3, StepKind.TOOL, "read_file", 1),
    ]
    assert load_payload(recorded, steps[0].input_ref) == {"target": "a.py"}
    assert load_payload(recorded, steps[0].output_ref) == ["contents o", "con"]
    assert load_payload(recorded, steps[2].input_ref) == {"path": "b.py", "limit": 3}
    assert all(s.status is Status.OK for s in steps)
    assert steps[1].parent_span_id == steps[0].span_id
    assert len({s.span_id for s in steps}) == 3


def test_exceptions_propagate_unchanged_and_are_recorded(recorded: Store) -> None:
    class Boom(RuntimeError):
        pass

    original = Boom("disk on fire")

    @agentreel.tool
    def explode() -> None:
        raise original

    with pytest.raises(Boom) as info, agentreel.session("s"):
        explode()
    assert info.value is original
    # The traceback still points at the line that raised, not at the recorder.
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].name == "explode"
    sid = _only_session(recorded)
    session = recorded.get_session(sid)
    assert session.status is Status.ERROR
    step = recorded.get_step(sid, 1)
    assert step.status is Status.ERROR
    assert step.error is not None
    assert step.error.type.endswith("Boom")
    assert step.error.message == "disk on fire"
    assert "raise original" in step.error.traceback


def test_async_functions_and_sessions(recorded: Store) -> None:
    @agentreel.tool
    async def fetch(n: int) -> int:
        await asyncio.sleep(0.01 * (3 - n))  # finish in reverse order
        return n * 10

    @agentreel.agent
    async def fan_out() -> list[int]:
        return list(await asyncio.gather(fetch(0), fetch(1), fetch(2)))

    async def main() -> None:
        async with agentreel.session("async"):
            assert await fan_out() == [0, 10, 20]

    asyncio.run(main())
    sid = _only_session(recorded)
    tree = StepTree.build(recorded.get_steps(sid))
    (root,) = tree.roots
    assert root.name == "fan_out"
    children = tree.children_of(root.number)
    assert [c.name for c in children] == ["fetch", "fetch", "fetch"]
    inputs = sorted(load_payload(recorded, c.input_ref)["n"] for c in children)
    assert inputs == [0, 1, 2]
    # Children finished in reverse order of their numbers: recorded times show it.
    by_input = {load_payload(recorded, c.input_ref)["n"]: c for c in children}
    assert by_input[2].ended_at is not None and by_input[0].ended_at is not None
    assert by_input[2].ended_at < by_input[0].ended_at


def test_step_context_manager_methods(recorded: Store) -> None:
    with agentreel.session("s"):
        with agentreel.step("retrieval", "search-docs", input={"q": "flaky"}) as st:
            assert st.number == 1
            st.set_attribute("index", "docs-v2")
            st.set_attributes({"k": 3, "when": object()})
            st.set_output(["doc-1", "doc-2"])
        with agentreel.step(StepKind.LLM, "answer", model="gpt-4o-mini") as st2:
            st2.record_usage(input=1000, output=200, cached=400)
            st2.record_usage(output=50)
        agentreel.event("cache-miss", key="abc", size=3)
    sid = _only_session(recorded)
    steps = recorded.get_steps(sid)
    assert [s.kind for s in steps] == [StepKind.RETRIEVAL, StepKind.LLM, StepKind.EVENT]
    search = steps[0]
    assert search.attributes["index"] == "docs-v2"
    assert search.attributes["k"] == 3
    assert search.attributes["when"].startswith("<object object at")
    assert load_payload(recorded, search.input_ref) == {"q": "flaky"}
    assert load_payload(recorded, search.output_ref) == ["doc-1", "doc-2"]
    answer = steps[1]
    assert answer.model == "gpt-4o-mini"
    assert (answer.usage.input, answer.usage.output, answer.usage.cached) == (1000, 250, 400)
    assert answer.cost is not None and answer.cost > 0
    event = steps[2]
    assert event.attributes == {"key": "abc", "size": 3}
    assert event.ended_at == event.started_at


def test_explicit_cost_wins_over_price_table(recorded: Store) -> None:
    with agentreel.session("s"), agentreel.step("llm", "x", model="gpt-4o") as st:
        st.record_usage(input=10, output=10, cost=1.25)
    sid = _only_session(recorded)
    assert recorded.get_step(sid, 1).cost == pytest.approx(1.25)


def test_unknown_model_has_no_cost(recorded: Store) -> None:
    with agentreel.session("s"), agentreel.step("llm", "x", model="my-local-llama") as st:
        st.record_usage(input=10, output=10)
    sid = _only_session(recorded)
    step = recorded.get_step(sid, 1)
    assert step.cost is None
    assert step.usage.total == 20


def test_llm_decorator_reads_usage_from_openai_shaped_result(recorded: Store) -> None:
    @agentreel.llm
    def chat(messages: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"message": {"role": "assistant", "content": "hi"}}],
            "usage": {
                "prompt_tokens": 120,
                "completion_tokens": 30,
                "prompt_tokens_details": {"cached_tokens": 100},
            },
        }

    with agentreel.session("s"):
        chat([{"role": "user", "content": "hello"}])
    sid = _only_session(recorded)
    step = recorded.get_step(sid, 1)
    assert step.kind is StepKind.LLM
    assert step.model == "gpt-4o-mini-2024-07-18"
    assert (step.usage.input, step.usage.output, step.usage.cached) == (120, 30, 100)
    assert step.cost is not None and step.cost > 0


def test_step_outside_session_opens_its_own(recorded: Store) -> None:
    @agentreel.agent
    def lonely() -> int:
        with agentreel.step("tool", "inner"):
            pass
        return 1

    lonely()
    lonely()
    agentreel.flush()
    sessions = recorded.list_sessions()
    assert [s.session.name for s in sessions] == ["lonely", "lonely"]
    for summary in sessions:
        assert summary.session.status is Status.OK
        assert summary.step_count == 2


def test_methods_do_not_record_self(recorded: Store) -> None:
    class Agent:
        big = "x" * 10_000

        @agentreel.tool
        def act(self, what: str) -> str:
            return what.upper()

    with agentreel.session("s"):
        assert Agent().act("go") == "GO"
    sid = _only_session(recorded)
    assert load_payload(recorded, recorded.get_step(sid, 1).input_ref) == {"what": "go"}


def test_variadic_signatures(recorded: Store) -> None:
    @agentreel.tool
    def many(a: int, *rest: int, **options: str) -> int:
        return a + sum(rest)

    with agentreel.session("s"):
        assert many(1, 2, 3, mode="fast") == 6
    sid = _only_session(recorded)
    assert load_payload(recorded, recorded.get_step(sid, 1).input_ref) == {
        "a": 1,
        "rest": [2, 3],
        "options": {"mode": "fast"},
    }


def test_unknown_kind_is_recorded_as_custom_with_a_warning(
    recorded: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "agentreel"), agentreel.session("s"):
        with agentreel.step("thinking", "ponder"):
            pass
    sid = _only_session(recorded)
    assert recorded.get_step(sid, 1).kind is StepKind.CUSTOM
    assert "unknown step kind 'thinking'" in caplog.text


def test_calls_on_a_finished_step_are_ignored(recorded: Store) -> None:
    with agentreel.session("s"):
        with agentreel.step("tool", "t") as st:
            st.set_output(1)
        st.set_output(2)
        st.set_attribute("late", True)
        st.record_usage(input=5)
    sid = _only_session(recorded)
    step = recorded.get_step(sid, 1)
    assert load_payload(recorded, step.output_ref) == 1
    assert "late" not in step.attributes
    assert step.usage.input == 0


def test_current_step_and_session(recorded: Store) -> None:
    assert agentreel.current_step() is None
    assert agentreel.current_session() is None
    with agentreel.session("s") as s:
        assert agentreel.current_session() is s
        with agentreel.step("tool", "t") as st:
            assert agentreel.current_step() is st
            assert agentreel.current_session() is s
        assert agentreel.current_step() is None
    assert agentreel.current_session() is None


def test_span_id_is_stable_once_read(recorded: Store) -> None:
    with agentreel.session("s"), agentreel.step("tool", "t") as st:
        first = st.span_id
        assert len(first) == 16
        int(first, 16)
        assert st.span_id == first
    sid = _only_session(recorded)
    assert recorded.get_step(sid, 1).span_id == first


def test_second_configure_warns_and_replaces(db_path: Any, tmp_path: Any) -> None:
    agentreel.configure(db=db_path)
    with pytest.warns(RuntimeWarning, match="configure\\(\\) was called again"):
        agentreel.configure(db=tmp_path / "other.db")
    with agentreel.session("second"):
        pass
    agentreel.shutdown()
    from agentreel.storage import SQLiteStore

    other = SQLiteStore(tmp_path / "other.db")
    assert [s.session.name for s in other.list_sessions()] == ["second"]
    other.close()


def test_configure_rejects_bad_arguments(tmp_path: Any) -> None:
    with pytest.raises(agentreel.errors.ConfigurationError, match="one of db=, store="):
        agentreel.configure(db=tmp_path / "a.db", store=agentreel.storage.MemoryStore())
    with pytest.raises(agentreel.errors.ConfigurationError, match="queue_size"):
        agentreel.configure(db=tmp_path / "a.db", queue_size=0)


def test_default_location_honours_agentreel_db(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "env" / "reel.db"
    monkeypatch.setenv("AGENTREEL_DB", str(target))
    agentreel.configure()
    with agentreel.session("env"):
        pass
    agentreel.shutdown()
    assert target.exists()


def test_default_location_is_dot_agentreel(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTREEL_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    agentreel.configure()
    with agentreel.session("cwd"):
        pass
    agentreel.shutdown()
    assert (tmp_path / ".agentreel" / "reel.db").exists()


def test_a_store_passed_in_stays_open_after_shutdown(tmp_path: Any) -> None:
    from agentreel.storage import SQLiteStore

    store = SQLiteStore(tmp_path / "mine.db")
    agentreel.configure(store=store)
    with agentreel.session("mine"):
        pass
    agentreel.shutdown()
    assert [s.session.name for s in store.list_sessions()] == ["mine"]
    store.close()


def test_payloads_keep_the_programs_key_order(recorded: Store) -> None:
    """Replay serves payloads back; an agent that prints a dict must see the same text."""

    @agentreel.tool
    def lookup() -> dict[str, Any]:
        return {"zeta": 1, "alpha": {"y": 2, "b": 3}, "items": [{"k2": 1, "k1": 2}] * 2}

    with agentreel.session("s"):
        lookup()
    sid = _only_session(recorded)
    out = load_payload(recorded, recorded.get_step(sid, 1).output_ref)
    assert list(out) == ["zeta", "alpha", "items"]
    assert list(out["alpha"]) == ["y", "b"]
    assert list(out["items"][1]) == ["k2", "k1"]
