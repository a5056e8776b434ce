"""diff_sessions over sessions recorded through the recording API into SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentreel.diff import FieldChange, SessionDiff, diff_sessions
from agentreel.errors import AmbiguousId, MissingPayload, UnknownSession
from agentreel.model import Session
from agentreel.reelfile import export_reel, import_reel
from agentreel.storage import MemoryStore, SQLiteStore, WriteBatch

from ._agent import SYSTEM
from ._build import S, batch, write
from .conftest import EDITED_SYSTEM, NEW_CONTENT, Recorded


def _diff(recorded: Recorded, a: str, b: str) -> SessionDiff:
    return diff_sessions(recorded.store, recorded.ids[a], recorded.ids[b])


def _shape(result: SessionDiff) -> list[tuple[str, int | None, int | None]]:
    return [
        (p.status, None if p.a is None else p.a.number, None if p.b is None else p.b.number)
        for p in result.pairs
    ]


def test_two_runs_of_the_same_agent_are_the_same(recorded: Recorded) -> None:
    # The model answered with fresh call ids and times each run: the raw
    # payloads of both model calls differ, and the diff must not care.
    steps_a = recorded.store.get_steps(recorded.ids["base"])
    steps_b = recorded.store.get_steps(recorded.ids["again"])
    assert steps_a[1].output_ref != steps_b[1].output_ref
    assert steps_a[4].input_ref != steps_b[4].input_ref

    result = _diff(recorded, "base", "again")

    assert _shape(result) == [("same", n, n) for n in range(1, 6)]
    assert result.identical
    assert result.first_divergence is None
    assert dict(result.counts) == {"same": 5, "changed": 0, "added": 0, "removed": 0}
    assert all(p.changes == () for p in result.pairs)
    assert result.a.session.id == recorded.ids["base"]
    assert result.b.session.name == "again"


def test_an_inserted_tool_call_is_one_addition(recorded: Recorded) -> None:
    result = _diff(recorded, "base", "lint")

    assert _shape(result) == [
        ("same", 1, 1),
        ("same", 2, 2),
        ("same", 3, 3),
        ("added", None, 4),
        ("same", 4, 5),
        ("same", 5, 6),
    ]
    added = result.pairs[3]
    assert added.b is not None and (added.b.kind, added.b.name) == ("tool", "lint")
    assert result.first_divergence is added
    assert dict(result.counts) == {"same": 5, "changed": 0, "added": 1, "removed": 0}
    assert not result.identical


def test_a_removed_step_is_one_removal(recorded: Recorded) -> None:
    result = _diff(recorded, "base", "no-tests")

    assert _shape(result) == [
        ("same", 1, 1),
        ("same", 2, 2),
        ("same", 3, 3),
        ("removed", 4, None),
        ("same", 5, 4),
    ]
    removed = result.pairs[3]
    assert removed.a is not None and removed.a.name == "run_tests"
    assert removed.changes == ()
    assert result.first_divergence is removed


def test_a_changed_tool_argument_pairs_the_step_with_its_counterpart(recorded: Recorded) -> None:
    result = _diff(recorded, "base", "target")

    first = result.first_divergence
    assert first is not None and first.a is not None and first.b is not None
    assert (first.status, first.a.number, first.b.number) == ("changed", 3, 3)
    assert first.changes[0] == FieldChange(
        path="input.path", before="calc/arith.py", after="calc/ops.py"
    )
    # The missing file reads as empty: the tool's output changed too.
    assert [c.path for c in first.changes] == ["input.path", "output"]
    assert [p.status for p in result.pairs[:2]] == ["same", "same"]
    assert result.counts["removed"] == result.counts["added"] == 0


def test_a_system_prompt_edit_is_a_path_into_the_messages_with_a_text_diff(
    recorded: Recorded,
) -> None:
    result = _diff(recorded, "base", "prompt")

    first = result.first_divergence
    assert first is not None and first.a is not None and first.b is not None
    assert (first.a.number, first.b.number, first.a.kind) == (2, 2, "llm")
    assert result.pairs[0].status == "same"  # the agent was asked the same task
    (change,) = first.changes
    assert change.path == "input.messages[0].content"
    assert (change.before, change.after) == (SYSTEM, EDITED_SYSTEM)
    assert change.text_diff is not None
    lines = change.text_diff.splitlines()
    assert "-Never edit the tests." in lines
    assert "+Never edit the tests; explain each change." in lines
    assert " Fix the failing test." in lines  # context, not a change
    # The second model call resends the prompt and differs in the same place.
    assert [c.path for c in result.pairs[4].changes] == ["input.messages[0].content"]


def test_a_changed_output_with_the_same_request(recorded: Recorded) -> None:
    result = _diff(recorded, "base", "content")

    assert [p.status for p in result.pairs] == ["same", "same", "changed", "same", "changed"]
    read = result.pairs[2]
    assert read is result.first_divergence
    (change,) = read.changes
    assert change.path == "output"
    assert change.after == NEW_CONTENT
    assert change.text_diff is not None and "+    if b == 0:" in change.text_diff.splitlines()
    # The model then saw the new file: one message differs, no more.
    assert [c.path for c in result.pairs[4].changes] == ["input.messages[3].content"]


def test_an_error_against_ok(recorded: Recorded) -> None:
    result = _diff(recorded, "base", "failing")

    assert [p.status for p in result.pairs] == ["same", "same", "same", "changed", "same"]
    failed = result.pairs[3]
    assert failed is result.first_divergence
    by_path = {c.path: c for c in failed.changes}
    assert list(by_path) == ["output", "status", "error"]
    assert (by_path["status"].before, by_path["status"].after) == ("ok", "error")
    assert by_path["error"].before is None
    assert by_path["error"].after == {
        "type": "AssertionError",
        "message": "test_divide_by_zero failed",
    }
    assert by_path["output"].after is None


def test_a_step_under_a_new_parent_reports_the_parent(recorded: Recorded) -> None:
    result = _diff(recorded, "base", "nested")

    assert _shape(result) == [
        ("same", 1, 1),
        ("same", 2, 2),
        ("same", 3, 3),
        ("added", None, 4),
        ("changed", 4, 5),
        ("same", 5, 6),
    ]
    moved = result.pairs[4]
    assert moved.changes == (FieldChange(path="parent", before=1, after=4),)
    assert moved.b is not None and moved.b.parent_number == 4


@pytest.mark.parametrize("other", ["again", "lint", "target", "prompt", "content", "failing"])
def test_first_divergence_is_the_first_pair_not_same(recorded: Recorded, other: str) -> None:
    result = _diff(recorded, "base", other)
    expected = next((p for p in result.pairs if p.status != "same"), None)
    assert result.first_divergence is expected
    assert sum(result.counts.values()) == len(result.pairs)
    for status in ("same", "changed", "added", "removed"):
        assert result.counts[status] == sum(p.status == status for p in result.pairs)


def test_ids_may_be_prefixes_and_sessions_may_come_from_another_store(
    recorded: Recorded, tmp_path: Path
) -> None:
    reel = tmp_path / "base.reel"
    export_reel(recorded.store, [recorded.ids["base"]], reel)
    memory = MemoryStore()
    import_reel(memory, reel)

    same = diff_sessions(
        recorded.store, recorded.ids["again"][:10], recorded.ids["base"][:6], store_b=memory
    )
    assert same.identical and same.counts["same"] == 5
    changed = diff_sessions(
        memory, recorded.ids["base"], recorded.ids["lint"], store_b=recorded.store
    )
    assert changed.counts["added"] == 1


def test_unknown_and_ambiguous_ids_raise(recorded: Recorded) -> None:
    with pytest.raises(UnknownSession):
        diff_sessions(recorded.store, recorded.ids["base"], "f" * 33)
    # A second session whose id shares the base session's first six digits.
    base = recorded.ids["base"]
    twin = base[:6] + ("0" * 26 if base[6:] != "0" * 26 else "1" * 26)
    recorded.store.write(WriteBatch(sessions=[Session(id=twin, name="twin", started_at=1)]))
    with pytest.raises(AmbiguousId):
        diff_sessions(recorded.store, base[:6], base)


def test_usage_and_cost_count_only_when_asked(tmp_path: Path) -> None:
    a_id, b_id = "a" * 32, "b" * 32
    db = write(
        tmp_path / "usage.db",
        batch(
            a_id, "one", [S(kind="llm", name="ask", input={"q": 1}, tokens=(100, 10), cost=0.01)]
        ),
        batch(
            b_id, "two", [S(kind="llm", name="ask", input={"q": 1}, tokens=(100, 25), cost=0.02)]
        ),
    )
    store = SQLiteStore(db)
    try:
        assert diff_sessions(store, a_id, b_id).identical
        result = diff_sessions(store, a_id, b_id, compare_usage=True)
    finally:
        store.close()
    assert result.pairs[0].changes == (
        FieldChange(path="usage.output", before=10, after=25),
        FieldChange(path="cost", before=0.01, after=0.02),
    )


def test_a_missing_payload_is_an_error_not_a_difference() -> None:
    a_id, b_id = "a" * 32, "b" * 32
    complete = MemoryStore()
    complete.write(batch(b_id, "two", [S(kind="tool", name="t", input={"path": "y"})]))
    partial = MemoryStore()
    partial.write(batch(a_id, "one", [S(kind="tool", name="t", input={"path": "x"})]))
    b = batch(b_id, "two", [S(kind="tool", name="t", input={"path": "y"})])
    partial.write(WriteBatch(sessions=b.sessions, steps=b.steps))  # its blobs left out

    result = diff_sessions(partial, a_id, b_id, store_b=complete)
    assert result.pairs[0].changes == (FieldChange(path="input.path", before="x", after="y"),)
    with pytest.raises(MissingPayload):
        diff_sessions(partial, a_id, b_id)
