"""Older reel formats are read through the registered migrations.

Format 1 is the first format, so these tests register a migration from an
invented format 0 (sessions say "title" instead of "name", step usage is a
list) and check that the reader finds it, runs it, and reports problems at
the lines of the file as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentreel.errors import CorruptReelFile, UnsupportedFormat
from agentreel.reelfile import _migrate, export_reel, import_reel, read_reel
from agentreel.reelfile._migrate import MIGRATIONS, Record, migrate, oldest_readable
from agentreel.storage import SQLiteStore

from ._sessions import Recorded, Recorder, assert_copied, file_of, records_of

USAGE = ("input", "output", "cached", "reasoning")


def to_format_0(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the file would have looked like in the invented format 0."""
    out = []
    for r in records:
        r = dict(r)
        if r["type"] == "header":
            r["format"] = 0
        elif r["type"] == "session":
            r["title"] = r.pop("name")
        elif r["type"] == "step":
            usage = r.pop("usage")
            r["tokens"] = [usage[k] for k in USAGE]
        out.append(r)
    return out


def from_format_0(records: list[Record]) -> list[Record]:
    out = []
    for record in records:
        data = dict(record.data)
        if data["type"] == "session":
            data["name"] = data.pop("title")
        elif data["type"] == "step":
            data["usage"] = dict(zip(USAGE, data.pop("tokens"), strict=True))
        out.append(Record(line=record.line, data=data))
    return out


@pytest.fixture
def recorded(recorder: Recorder) -> Recorded:
    return recorder.session()


@pytest.fixture
def old_file(tmp_path: Path, recorded: Recorded, source: SQLiteStore) -> Path:
    path = tmp_path / "new.jsonl"
    export_reel(source, [recorded.session.id], path)
    old = tmp_path / "old.jsonl"
    old.write_bytes(file_of(to_format_0(records_of(path.read_bytes()))))
    return old


def test_an_old_file_needs_its_migration(old_file: Path) -> None:
    with pytest.raises(UnsupportedFormat, match="unknown reel format 0"):
        read_reel(old_file)


def test_a_registered_migration_makes_an_old_file_readable(
    monkeypatch: pytest.MonkeyPatch,
    old_file: Path,
    recorded: Recorded,
    source: SQLiteStore,
    target: SQLiteStore,
) -> None:
    seen: list[list[Record]] = []

    def migration(records: list[Record]) -> list[Record]:
        seen.append(records)
        return from_format_0(records)

    monkeypatch.setitem(MIGRATIONS, 0, migration)
    reel = read_reel(old_file)
    assert reel.format_version == 0
    assert reel.sessions == (recorded.session,)
    assert reel.steps[2].usage.input == 120

    # The migration sees the body only (no header, no end record), with lines.
    lines = len(old_file.read_bytes().splitlines())
    assert [r.line for r in seen[0]] == list(range(2, lines))
    assert {r.data["type"] for r in seen[0]} == {"session", "step", "blob"}

    import_reel(target, old_file)
    assert_copied(source, target, recorded)


def test_problems_after_migrating_point_at_the_line_as_written(
    monkeypatch: pytest.MonkeyPatch, old_file: Path
) -> None:
    def careless(records: list[Record]) -> list[Record]:
        out = from_format_0(records)
        for record in out:
            if record.data.get("number") == 2:
                del record.data["span_id"]
        return out

    monkeypatch.setitem(MIGRATIONS, 0, careless)
    line = 1 + next(
        i for i, r in enumerate(records_of(old_file.read_bytes())) if r.get("number") == 2
    )
    with pytest.raises(CorruptReelFile, match=f": line {line}: step record lacks the required"):
        read_reel(old_file)


def test_an_old_file_cut_short_is_refused_before_migrating(
    monkeypatch: pytest.MonkeyPatch, old_file: Path
) -> None:
    calls: list[int] = []
    monkeypatch.setitem(MIGRATIONS, 0, lambda records: calls.append(1) or records)
    old_file.write_bytes(old_file.read_bytes().rsplit(b"\n", 2)[0] + b"\n")
    with pytest.raises(CorruptReelFile, match="has no end record"):
        read_reel(old_file)
    assert calls == []


def test_migrations_run_in_order_from_the_file_format() -> None:
    def step(to: int) -> _migrate.Migration:
        def run(records: list[Record]) -> list[Record]:
            return [
                Record(line=r.line, data={**r.data, "path": [*r.data["path"], to]}) for r in records
            ]

        return run

    registry = {1: step(2), 2: step(3), 3: step(4)}
    records = [Record(line=2, data={"type": "x", "path": []})]
    assert migrate(records, 1, to=4, registry=registry)[0].data["path"] == [2, 3, 4]
    assert migrate(records, 2, to=4, registry=registry)[0].data["path"] == [3, 4]
    assert migrate(records, 4, to=4, registry=registry) == records
    assert oldest_readable(to=4, registry=registry) == 1
    assert oldest_readable(to=4, registry={1: step(2), 3: step(4)}) == 3


def test_register_migration_refuses_a_second_one_for_a_format(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_migrate, "MIGRATIONS", {})

    @_migrate.register_migration(0)
    def first(records: list[Record]) -> list[Record]:
        return records

    registered = _migrate.MIGRATIONS
    assert registered == {0: first}
    with pytest.raises(ValueError, match="from format 0 is already registered"):
        _migrate.register_migration(0)(first)


def test_no_migration_is_registered_while_format_1_is_the_first() -> None:
    # When format 2 arrives, register 1 -> 2 and commit tests/golden/reel-v2.jsonl.
    assert MIGRATIONS == {}
    assert oldest_readable() == 1
