"""A reel file reads without tools: one record per line, fields in model order."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from agentreel.model import ErrorInfo, ForkRef, Session, Step, TokenUsage
from agentreel.payloads import digest_of, dump_blob
from agentreel.reelfile import export_reel
from agentreel.storage import MemoryStore, SQLiteStore

from ._sessions import SYSTEM, Recorder, records_of


def test_layout_and_field_order(tmp_path: Path, recorder: Recorder, source: SQLiteStore) -> None:
    rec = recorder.session("ünïcödé question — ok?")
    path = tmp_path / "reel.jsonl"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    summary = export_reel(source, [rec.session.id], path)
    data = path.read_bytes()
    records = records_of(data)

    assert data.endswith(b"}\n")
    assert len(data.splitlines()) == len(records)
    assert "ünïcödé question — ok?".encode() in data  # not \\u-escaped

    header = records[0]
    assert list(header) == ["type", "magic", "format", "created_at", "producer"]
    assert (header["type"], header["magic"], header["format"]) == ("header", "agentreel", 1)
    created = dt.datetime.fromisoformat(header["created_at"])
    assert before <= created <= dt.datetime.now(dt.UTC)
    assert header["producer"].startswith("agentreel ")

    types = [r["type"] for r in records]
    assert types == ["header", "session"] + ["step"] * 6 + ["blob"] * summary.blobs + ["end"]
    assert records[-1] == {
        "type": "end",
        "counts": {"session": 1, "step": 6, "blob": summary.blobs},
    }

    assert list(records[1]) == ["type"] + [f.name for f in dataclasses.fields(Session)]
    for step in records[2:8]:
        assert list(step) == ["type"] + [f.name for f in dataclasses.fields(Step)]
    assert [r["number"] for r in records[2:8]] == [1, 2, 3, 4, 5, 6]
    assert records[4]["usage"] == {"input": 120, "output": 18, "cached": 64, "reasoning": 0}


def test_blobs_hold_their_json_content(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore
) -> None:
    rec = recorder.session()
    path = tmp_path / "reel.jsonl"
    export_reel(source, [rec.session.id], path)
    blobs = {r["digest"]: r for r in records_of(path.read_bytes()) if r["type"] == "blob"}

    system = blobs[digest_of(dump_blob(SYSTEM))]
    assert list(system) == ["type", "digest", "value"]
    assert system["value"] == SYSTEM
    tool_input = blobs[source.get_step(rec.session.id, 4).input_ref or ""]
    assert tool_input["value"] == rec.payloads[(4, "input")]


def test_nested_values_carry_every_model_field(tmp_path: Path) -> None:
    # Fails when a field is added to the model without being added to the
    # format (and, if it changes meaning, a new format version). The memory
    # store keeps every field by construction, so this checks the format alone.
    source = MemoryStore()
    rec = Recorder(source).session(
        forked_from=ForkRef(session_id="9" * 32, step=3),
        error=ErrorInfo(type="E", message="m"),
        trace_id="7" * 32,
    )
    path = tmp_path / "reel.jsonl"
    export_reel(source, [rec.session.id], path)
    records = records_of(path.read_bytes())
    session, failed = records[1], records[5]
    assert session["trace_id"] == "7" * 32
    assert list(session["forked_from"]) == [f.name for f in dataclasses.fields(ForkRef)]
    assert list(session["error"]) == [f.name for f in dataclasses.fields(ErrorInfo)]
    assert list(failed["error"]) == [f.name for f in dataclasses.fields(ErrorInfo)]
    assert list(failed["usage"]) == [f.name for f in dataclasses.fields(TokenUsage)]
