"""The fast step listings answer key for key what ``step_json`` answers."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentreel._units import iso_utc, step_json
from agentreel.model import ErrorInfo, Session, Status, Step, StepKind, TokenUsage
from agentreel.server._steplist import IsoCache, depths, depths_of, rows_json, steps_json
from agentreel.storage import SQLiteStore, WriteBatch

from ._reel import Recorded


def test_listing_equals_step_json_on_a_recording(store: SQLiteStore, ids: Recorded) -> None:
    for sid in (ids.triage, ids.notes, ids.other_project):
        steps = store.get_steps(sid)
        depth = depths(steps)
        assert steps
        assert steps_json(steps, depth) == [step_json(s, depth=depth[s.number]) for s in steps]
        # Same keys in the same order: clients that print the JSON see no change.
        assert [list(d) for d in steps_json(steps, depth)] == [
            list(step_json(s, depth=depth[s.number])) for s in steps
        ]


BASE = Step(session_id="a" * 32, number=1, span_id="b" * 16, kind=StepKind.LLM, name="chat",
            started_at=1_700_000_000_123_456_789)  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"ended_at": 1_700_000_001_000_000_000, "status": Status.OK},
        {"error": ErrorInfo(type="E", message="m", traceback="t"), "status": Status.ERROR},
        {"usage": TokenUsage(input=3, output=4, cached=1), "cost": 0.5, "model": "m"},
        {"attributes": {"k": [1, {"x": None}]}, "input_ref": "r", "parent_number": 7},
        {"started_at": 0, "ended_at": 999},
    ],
)
def test_listing_equals_step_json_field_by_field(changes: dict[str, object]) -> None:
    step = dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]
    assert steps_json([step], {1: 3}) == [step_json(step, depth=3)]


@given(st.integers(min_value=-(10**19), max_value=10**19))
def test_times_are_iso_utc(ns: int) -> None:
    cache = IsoCache()
    assert cache(ns) == iso_utc(ns)
    assert cache(ns + 1) == iso_utc(ns + 1)  # the second read comes from the cache


def test_depths_put_orphans_at_the_root() -> None:
    steps = [dataclasses.replace(BASE, number=n, parent_number=p)
             for n, p in ((1, None), (2, 1), (3, 2), (4, 99), (5, 4))]  # fmt: skip
    assert depths(steps) == {1: 0, 2: 1, 3: 2, 4: 0, 5: 1}


def _encoded(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def test_rows_listing_encodes_as_the_step_listing(store: SQLiteStore, ids: Recorded) -> None:
    for sid in (ids.triage, ids.notes, ids.other_project):
        steps = store.get_steps(sid)
        depth = depths(steps)
        rows = store.get_step_rows(sid)
        assert depths_of((r[1], r[3]) for r in rows) == depth
        # The same JSON value, keys in the same order (the attributes are the
        # stored bytes, spliced in; a client parsing either sees no change).
        assert orjson.loads(_encoded(rows_json(rows, depth))) == orjson.loads(
            _encoded(steps_json(steps, depth))
        )
        assert [list(d) for d in rows_json(rows, depth)] == [
            list(d) for d in steps_json(steps, depth)
        ]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"ended_at": 1_700_000_001_000_000_000, "status": Status.OK},
        {
            "error": ErrorInfo(type="E", message='m\u00e9 "q"', traceback="t"),
            "status": Status.ERROR,
        },
        {"usage": TokenUsage(input=3, output=4, cached=1, reasoning=2), "cost": 0.5, "model": "m"},
        {"attributes": {"k": [1, {"x": None}], "é": "✓"}, "input_ref": "r", "parent_number": 7},
        {"started_at": 0, "ended_at": 999, "cost": 0.1 + 0.2},
    ],
)
def test_rows_listing_field_by_field(tmp_path: Path, changes: dict[str, object]) -> None:
    step = dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]
    store = SQLiteStore(tmp_path / "reel.db")
    try:
        session = Session(id=step.session_id, name="s", started_at=step.started_at)
        store.write(WriteBatch(sessions=[session], steps=[step.to_row()]))
        (stored,) = store.get_steps(step.session_id)
        rows = store.get_step_rows(step.session_id)
        assert _encoded(rows_json(rows, {1: 3})) == _encoded(steps_json([stored], {1: 3}))
        assert orjson.loads(_encoded(rows_json(rows, {1: 3}))) == [step_json(step, depth=3)]
    finally:
        store.close()


def test_rows_listing_leaves_no_step_for_the_garbage_collector(
    store: SQLiteStore, ids: Recorded
) -> None:
    # A tracked dict per step made the server's full collections walk 10,000
    # of them (~60 ms); every value of a listed step is atomic or a fragment.
    rows = store.get_step_rows(ids.triage)
    listed = rows_json(rows, depths_of((r[1], r[3]) for r in rows))
    assert listed
    assert not any(gc.is_tracked(d) for d in listed)
