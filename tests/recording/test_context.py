"""Steps nest correctly across asyncio tasks and threads."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import agentreel
from agentreel.model import StepTree
from agentreel.storage import Store


def _tree(store: Store) -> StepTree:
    agentreel.flush()
    (summary,) = store.list_sessions()
    return StepTree.build(store.get_steps(summary.session.id))


def test_gather_of_nested_tool_calls(recorded: Store) -> None:
    @agentreel.tool
    async def leaf(i: int) -> int:
        await asyncio.sleep(0.001 * (i % 3))
        return i

    @agentreel.agent
    async def worker(w: int) -> list[int]:
        return list(await asyncio.gather(*(leaf(w * 10 + i) for i in range(4))))

    async def main() -> None:
        async with agentreel.session("gather"):
            await asyncio.gather(*(worker(w) for w in range(5)))

    asyncio.run(main())
    tree = _tree(recorded)
    assert len(tree.roots) == 5
    numbers = sorted(s.number for s in tree.steps)
    assert numbers == list(range(1, 26))
    for root in tree.roots:
        kids = tree.children_of(root.number)
        assert len(kids) == 4
        assert all(k.parent_span_id == root.span_id for k in kids)


def test_thread_pool_with_context_carrying_executor(recorded: Store) -> None:
    @agentreel.tool
    def work(i: int) -> int:
        return i * i

    with agentreel.session("threads"):
        with agentreel.step("agent", "boss") as boss:
            with agentreel.ContextThreadPoolExecutor(max_workers=4) as pool:
                assert list(pool.map(work, range(8))) == [i * i for i in range(8)]
    tree = _tree(recorded)
    (root,) = tree.roots
    assert root.number == boss.number
    assert sorted(s.number for s in tree.children_of(root.number)) == list(range(2, 10))


def test_carry_context_into_plain_threads(recorded: Store) -> None:
    @agentreel.tool
    def work(i: int) -> int:
        return i

    with agentreel.session("threads"), agentreel.step("agent", "boss"):
        threads = [
            threading.Thread(target=agentreel.carry_context(work), args=(i,)) for i in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with ThreadPoolExecutor(2) as pool:
            assert pool.submit(agentreel.carry_context(work), 9).result() == 9
    tree = _tree(recorded)
    (root,) = tree.roots
    assert len(tree.children_of(root.number)) == 4


def test_threads_without_context_get_their_own_sessions(recorded: Store) -> None:
    """Documented behaviour: a thread started without the context is outside the session."""

    @agentreel.tool
    def work() -> None:
        return None

    with agentreel.session("main"):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    agentreel.flush()
    names = sorted(s.session.name for s in recorded.list_sessions())
    assert names == ["main", "work"]


def test_step_numbers_are_unique_under_concurrent_threads(recorded: Store) -> None:
    @agentreel.tool
    def tick(i: int) -> int:
        return i

    with agentreel.session("race"):
        with agentreel.ContextThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(tick, range(400)))
    tree = _tree(recorded)
    assert sorted(s.number for s in tree.steps) == list(range(1, 401))
