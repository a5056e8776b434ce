"""The same program replays to the same result and step tree, with no live calls."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

import agentreel
from agentreel import ContextThreadPoolExecutor

from . import _agents
from ._agents import CALLS
from .conftest import Reel


def _shape(tree: list[tuple[int, str, str, int | None]]) -> Counter[tuple[str, str, str]]:
    """Each step as (kind, name, parent's kind:name), order-free (for concurrent runs)."""
    by_number = {n: (k, name) for n, k, name, _ in tree}
    return Counter(
        (k, name, "-" if p is None else ":".join(by_number[p])) for _, k, name, p in tree
    )


def test_a_sequential_agent_replays_exactly_without_running_any_call(reel: Reel) -> None:
    answers: list[str] = []
    original = reel.record("fix", lambda: answers.append(_agents.fixer()))
    recorded_calls = dict(CALLS)
    assert recorded_calls == {"read_file": 1, "ask": 1, "write_file": 1, "run_tests": 1}
    _agents.reset()  # the file is unfixed again: running it live would differ

    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("fix"):
            replayed = _agents.fixer()

    assert replayed == answers[0]
    assert CALLS == {}
    assert r.result.ok
    assert (r.result.served, r.result.live) == (4, 0)
    assert r.result.divergences == () and r.result.unconsumed == ()
    assert r.result.new_session_id is not None
    assert r.result.new_session_id != original
    assert reel.tree(r.result.new_session_id) == reel.tree(original)


def test_without_a_session_in_the_program_the_run_gets_one_named_after_the_original(
    reel: Reel,
) -> None:
    original = reel.record("fix-divide", lambda: _agents.fixer())
    _agents.reset()
    with agentreel.replay(original, db=reel.path) as r:
        _agents.fixer()
    assert CALLS == {}
    new_id = r.result.new_session_id
    assert new_id is not None
    store = reel.reader()
    try:
        session = store.get_session(new_id)
        assert session.name == "fix-divide"
        assert session.metadata["agentreel.replay_of"] == original
        assert session.metadata["agentreel.replay_mode"] == "strict"
        assert session.forked_from is None
        steps = store.get_steps(new_id)
        assert [s.attributes.get("agentreel.answered_by") for s in steps] == [
            None,  # the agent runs live
            "replay",
            "replay",
            "replay",
            "replay",
        ]
        assert [s.attributes.get("agentreel.replayed_step") for s in steps[1:]] == [2, 3, 4, 5]
        assert steps[2].usage.input > 0 and steps[2].cost == 0.0  # tokens kept, nothing spent
    finally:
        store.close()
    assert reel.tree(new_id) == reel.tree(original)


def test_parallel_calls_match_whatever_order_they_start_in(reel: Reel) -> None:
    urls = ["a", "b", "c", "d"]
    _agents.DELAYS.update({"a": 0.0, "b": 0.01, "c": 0.02, "d": 0.03})
    recorded: list[list[str]] = []
    original = reel.record("crawl", lambda: recorded.append(asyncio.run(_agents.crawler(urls))))
    order_recorded = [n for n, k, name, _ in reel.tree(original) if name == "fetch"]
    _agents.reset()
    _agents.DELAYS.update({"a": 0.03, "b": 0.02, "c": 0.01, "d": 0.0})  # now d starts first

    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("crawl"):
            replayed = asyncio.run(_agents.crawler(urls))

    assert replayed == recorded[0] == ["page a", "page b", "page c", "page d", recorded[0][-1]]
    assert CALLS == {}
    assert r.result.ok and r.result.served == 5
    assert r.result.new_session_id is not None
    new_tree = reel.tree(r.result.new_session_id)
    assert _shape(new_tree) == _shape(reel.tree(original))
    # The fetches did start in another order: step numbers moved, answers did not.
    store = reel.reader()
    try:
        started = [
            s.attributes["agentreel.replayed_step"]
            for s in store.get_steps(r.result.new_session_id)
            if s.name == "fetch"
        ]
    finally:
        store.close()
    assert started == list(reversed(order_recorded))


def test_a_thread_pool_replays_each_call_to_its_own_answer(reel: Reel) -> None:
    paths = ["calc.py", "notes.md", "calc.py"]

    @agentreel.agent(name="pool")
    def pool(delays: list[float]) -> list[str]:
        def job(path: str, delay: float) -> str:
            time.sleep(delay)
            return _agents.read_file(path)

        with ContextThreadPoolExecutor(max_workers=3) as ex:
            futures = [ex.submit(job, p, d) for p, d in zip(paths, delays, strict=True)]
            return [f.result() for f in futures]

    recorded: list[list[str]] = []
    original = reel.record("pool", lambda: recorded.append(pool([0.0, 0.01, 0.02])))
    _agents.reset()
    _agents.FILES.clear()  # a live read would now fail

    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("pool"):
            replayed = pool([0.02, 0.01, 0.0])

    assert replayed == recorded[0]
    assert CALLS == {}
    assert r.result.ok and r.result.served == 3
    assert r.result.new_session_id is not None
    assert _shape(reel.tree(r.result.new_session_id)) == _shape(reel.tree(original))


def test_identical_repeated_requests_get_their_own_answers_in_order(reel: Reel) -> None:
    question = [{"role": "user", "content": "are we done?"}]
    _agents.SCRIPT["are we done?"] = ["not yet", "almost", "yes"]

    def loop() -> None:
        for _ in range(3):
            _agents.ask(question)

    original = reel.record("poll", loop)
    _agents.reset()
    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("poll"):
            answers = [_agents.content(_agents.ask(question)) for _ in range(3)]
    assert answers == ["not yet", "almost", "yes"]
    assert CALLS == {}
    assert r.result.ok and r.result.served == 3


def test_a_multi_agent_hand_off_replays_with_the_same_tree(reel: Reel) -> None:
    recorded: list[list[str]] = []
    original = reel.record("team", lambda: recorded.append(_agents.lead("guard division")))
    tree = reel.tree(original)
    assert [(k, n) for _, k, n, _ in tree if k == "agent"] == [
        ("agent", "lead"),
        ("agent", "planner"),
        ("agent", "coder"),
        ("agent", "reviewer"),
    ]
    _agents.reset()
    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("team"):
            replayed = _agents.lead("guard division")
    assert replayed == recorded[0]
    assert CALLS == {}
    assert r.result.ok and r.result.served == 8 and r.result.live == 0
    assert r.result.new_session_id is not None
    assert reel.tree(r.result.new_session_id) == tree


def test_replay_inside_a_configured_recorder_records_there_and_leaves_it_on(reel: Reel) -> None:
    original = reel.record("fix", lambda: _agents.fixer())
    _agents.reset()
    agentreel.configure(db=reel.path, flush_interval=0.05)
    with agentreel.replay(original) as r:  # the configured recorder's store is read
        _agents.fixer()
    assert CALLS == {}
    assert r.result.ok
    # Recording goes on after the replay, with nothing answering calls any more.
    with agentreel.session("after"):
        _agents.read_file("notes.md")
    assert CALLS == {"read_file": 1}
    agentreel.shutdown()
    assert r.result.new_session_id is not None
    assert reel.tree(r.result.new_session_id) == reel.tree(original)


def test_record_false_keeps_the_replayed_run_out_of_the_store(reel: Reel) -> None:
    original = reel.record("fix", lambda: _agents.fixer())
    _agents.reset()
    store = reel.reader()
    try:
        before = store.count_sessions()
        with agentreel.replay(original, db=reel.path, record=False) as r:
            _agents.fixer()
        assert CALLS == {}
        assert r.result.ok and r.result.served == 4
        assert r.result.new_session_id is None
        assert store.count_sessions() == before
    finally:
        store.close()
    assert agentreel.stats() is not None


def test_async_with_works_too(reel: Reel) -> None:
    original = reel.record("fix", lambda: _agents.fixer())
    _agents.reset()

    async def main() -> str:
        async with agentreel.replay(original, db=reel.path) as r:
            out = _agents.fixer()
        assert r.result.ok
        return out

    assert "passed=3" in asyncio.run(main())
    assert CALLS == {}


def test_a_program_that_reconfigures_agentreel_is_told_what_went_live(reel: Reel) -> None:
    original = reel.record("reads", lambda: [_agents.read_file("calc.py") for _ in range(2)])
    _agents.reset()
    with agentreel.replay(original, db=reel.path, mode="new-steps") as r:
        _agents.read_file("calc.py")
        with pytest.warns(RuntimeWarning, match="called again"):
            agentreel.configure(db=reel.path)
        _agents.read_file("calc.py")
    agentreel.shutdown()
    assert CALLS == {"read_file": 1}  # the second read was not intercepted
    assert r.result.served == 1
    assert [d.kind for d in r.result.divergences] == ["run-ended-early"]
    assert any("replaced agentreel's recorder" in note for note in r.result.notes)


def test_outputs_of_every_stored_shape_come_back_exactly(reel: Reel) -> None:
    shapes: list[object] = [
        [{"doc": "a", "score": 1}, {"doc": "b", "score": 0.5}],  # stored as a chain
        {"@blob": "not a reference"},  # a user dict that looks like a marker
        'he said "@home" and left',  # the marker prefix inside a string
        {"nested": [{"x": [1, 2]}, {"y": None}], "flag": True},
        None,
    ]

    @agentreel.tool
    def produce(i: int) -> object:
        CALLS["produce"] += 1
        return shapes[i]

    original = reel.record("shapes", lambda: [produce(i) for i in range(len(shapes))])
    CALLS.clear()
    with agentreel.replay(original, db=reel.path) as r:
        served = [produce(i) for i in range(len(shapes))]
    assert served == shapes
    assert CALLS == {} and r.result.served == len(shapes)
