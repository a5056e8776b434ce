"""The SQL stores' batch and raw reads: what ingest and the step listing ask of them.

``get_sessions``, ``get_step_rows``, ``get_step_parents`` and
``assign_step_numbers_many`` are not part of the ``Store`` protocol (callers
fall back to its methods for a store without them); SQLite and PostgreSQL
offer them, and they must answer what the protocol's own methods answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentreel.errors import UnknownSession
from agentreel.model import ErrorInfo
from agentreel.storage import WriteBatch
from agentreel.storage._rows import STEP_COLUMNS

from ._factories import Factory
from .conftest import BACKENDS


@pytest.fixture(params=["sqlite", "postgres"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A SQLite or PostgreSQL store (the memory store has no SQL reads)."""
    with BACKENDS[request.param](tmp_path) as open_store:
        store = open_store()
        yield store
        store.close()


def test_get_sessions_answers_what_get_session_does(sql_store: Any, make: Factory) -> None:
    made = [make.session(tags=("a",), metadata={"k": [1, 2]}) for _ in range(3)]
    sql_store.write(WriteBatch(sessions=made))
    unknown = make.session_id()
    found = sql_store.get_sessions([made[2].id, unknown, made[0].id, made[0].id])
    assert found == {s.id: sql_store.get_session(s.id) for s in (made[2], made[0])}
    assert sql_store.get_sessions([]) == {}


def test_get_sessions_reads_more_ids_than_one_query_takes(sql_store: Any, make: Factory) -> None:
    made = [make.session() for _ in range(1203)]
    sql_store.write(WriteBatch(sessions=made))
    found = sql_store.get_sessions([s.id for s in made])
    assert set(found) == {s.id for s in made}


def test_step_rows_are_the_steps_with_their_json_undecoded(sql_store: Any, make: Factory) -> None:
    s = make.session()
    rows = [
        make.row(s.id, 1, attributes={"b": 1, "a": {"nested": ["x", None]}}),
        make.row(s.id, 2, parent_number=1, attributes={"unicode": "é ✓"}),
        make.failed(s.id, 3, parent_number=2),
    ]
    sql_store.write(WriteBatch(sessions=[s], steps=rows))
    raw = sql_store.get_step_rows(s.id)
    steps = sql_store.get_steps(s.id)
    assert [r[1] for r in raw] == [1, 2, 3]
    for row, step in zip(raw, steps, strict=True):
        assert len(row) == 1 + len(STEP_COLUMNS)
        assert row[0] == s.id
        assert isinstance(row[10], bytes)
        assert orjson.loads(row[10]) == step.attributes
        error = None if row[19] is None else ErrorInfo(**orjson.loads(row[19]))
        assert error == step.error
        fields = dataclasses.replace(step).to_row()
        assert tuple(row[:10]) == tuple(fields[:10])
        assert tuple(row[11:19]) == tuple(fields[11:19])
    assert steps[2].error is not None


def test_step_rows_page(sql_store: Any, make: Factory) -> None:
    s = make.session()
    sql_store.write(WriteBatch(sessions=[s], steps=[make.row(s.id, n) for n in range(1, 11)]))
    assert [r[1] for r in sql_store.get_step_rows(s.id, from_number=4, limit=3)] == [4, 5, 6]
    assert [r[1] for r in sql_store.get_step_rows(s.id, from_number=9)] == [9, 10]
    assert sql_store.get_step_rows(s.id, from_number=11) == []


def test_step_parents(sql_store: Any, make: Factory) -> None:
    s = make.session()
    rows = [
        make.row(s.id, 1),
        make.row(s.id, 2, parent_number=1),
        make.row(s.id, 3, parent_number=1),
    ]
    sql_store.write(WriteBatch(sessions=[s], steps=rows))
    assert sql_store.get_step_parents(s.id) == [(1, None), (2, 1), (3, 1)]


def test_raw_reads_of_an_unknown_session_raise(sql_store: Any, make: Factory) -> None:
    with pytest.raises(UnknownSession):
        sql_store.get_step_rows(make.session_id())
    with pytest.raises(UnknownSession):
        sql_store.get_step_parents(make.session_id())
    known = make.session()
    sql_store.write(WriteBatch(sessions=[known]))
    assert sql_store.get_step_rows(known.id) == []
    assert sql_store.get_step_parents(known.id) == []


def test_numbering_many_sessions_at_once_is_numbering_each(sql_store: Any, make: Factory) -> None:
    one, two, three = make.session_id(), make.session_id(), make.session_id()
    sql_store.assign_step_numbers(one, ["a"])
    got = sql_store.assign_step_numbers_many({two: ["x", "y"], one: ["b", "a"], three: []})
    assert got == {two: {"x": 1, "y": 2}, one: {"b": 2, "a": 1}}
    # A retry (the same spans again) gets the same numbers.
    assert sql_store.assign_step_numbers_many({one: ["a", "b"], two: ["y"]}) == {
        one: {"a": 1, "b": 2},
        two: {"y": 2},
    }
    assert sql_store.assign_step_numbers(three, ["z"]) == {"z": 1}
    assert sql_store.assign_step_numbers_many({}) == {}
