"""The fast step listing answers key for key what ``step_json`` answers."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentreel._units import iso_utc, step_json
from agentreel.model import ErrorInfo, Status, Step, StepKind, TokenUsage
from agentreel.server._steplist import IsoCache, depths, steps_json
from agentreel.storage import SQLiteStore

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
