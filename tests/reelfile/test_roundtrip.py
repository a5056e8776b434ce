"""Sessions survive store -> reel file -> another SQLite store unchanged."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import orjson
import pytest

from agentreel.errors import MissingPayload, ReelFileError, UnknownSession
from agentreel.model import ErrorInfo, ForkRef, Session, Status, Step, StepKind
from agentreel.payloads import digest_of, dump_blob
from agentreel.reelfile import export_reel, import_reel, read_reel
from agentreel.storage import SQLiteStore, WriteBatch

from ._sessions import SYSTEM, T0, Recorder, assert_copied, records_of


@pytest.mark.parametrize("name", ["reel.jsonl", "reel.jsonl.gz"])
def test_round_trip_through_a_file(
    name: str, tmp_path: Path, recorder: Recorder, source: SQLiteStore, target: SQLiteStore
) -> None:
    rec = recorder.session()
    path = tmp_path / name
    exported = export_reel(source, [rec.session.id], path)

    data = path.read_bytes()
    assert data.startswith(b"\x1f\x8b") == name.endswith(".gz")
    assert exported.bytes == len(data)
    assert (exported.sessions, exported.steps) == (1, 6)

    imported = import_reel(target, path)
    assert imported.session_ids == (rec.session.id,)
    assert (imported.steps, imported.blobs, imported.replaced) == (6, exported.blobs, ())
    assert_copied(source, target, rec)


@pytest.mark.parametrize(("name", "compress"), [("a.jsonl", True), ("a.jsonl.gz", False)])
def test_compress_argument_overrides_the_suffix(
    name: str,
    compress: bool,
    tmp_path: Path,
    recorder: Recorder,
    source: SQLiteStore,
    target: SQLiteStore,
) -> None:
    rec = recorder.session()
    path = tmp_path / name
    export_reel(source, [rec.session.id], path, compress=compress)
    assert path.read_bytes().startswith(b"\x1f\x8b") is compress
    import_reel(target, path)  # detected by content, whatever the name says
    assert_copied(source, target, rec)


@pytest.mark.parametrize("compress", [None, True])
def test_streams_work_as_destination_and_source(
    compress: bool | None, recorder: Recorder, source: SQLiteStore, target: SQLiteStore
) -> None:
    rec = recorder.session()
    buf = io.BytesIO()
    exported = export_reel(source, [rec.session.id], buf, compress=compress)
    assert exported.bytes == len(buf.getvalue())
    assert buf.getvalue().startswith(b"\x1f\x8b") is bool(compress)
    buf.seek(0)
    import_reel(target, buf)
    assert_copied(source, target, rec)


def test_several_sessions_in_one_file(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore, target: SQLiteStore
) -> None:
    recs = [recorder.session(f"question {i}") for i in range(3)]
    ids = [r.session.id for r in recs]
    path = tmp_path / "three.jsonl"
    exported = export_reel(source, [ids[2], ids[0], ids[1], ids[0]], path)
    assert (exported.sessions, exported.steps) == (3, 18)

    imported = import_reel(target, path)
    assert imported.session_ids == (ids[2], ids[0], ids[1])  # export order, repeats dropped
    assert target.count_sessions() == 3
    for rec in recs:
        assert_copied(source, target, rec)


def test_blobs_shared_between_sessions_are_written_once(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore, target: SQLiteStore
) -> None:
    first = recorder.session("test_add fails")
    # The second agent run continues the first conversation: its chains link
    # onto the first session's chain nodes, and the system prompt is shared.
    history = first.payloads[(6, "input")]["messages"][1:]
    second = recorder.session("now test_sub fails", history=history)
    path = tmp_path / "both.jsonl"
    exported = export_reel(source, [first.session.id, second.session.id], path)

    records = records_of(path.read_bytes())
    digests = [r["digest"] for r in records if r["type"] == "blob"]
    assert len(digests) == len(set(digests)) == exported.blobs
    # The system prompt is written in the first session's part of the file only.
    second_starts = next(i for i, r in enumerate(records) if r.get("id") == second.session.id)
    first_part = [r["digest"] for r in records[:second_starts] if r["type"] == "blob"]
    assert digest_of(dump_blob(SYSTEM)) in first_part
    # Exported alone, the second session needs more blobs than it adds here.
    alone = export_reel(source, [second.session.id], tmp_path / "alone.jsonl")
    assert alone.blobs > len(digests) - len(first_part)

    import_reel(target, path)
    assert_copied(source, target, first)
    assert_copied(source, target, second)


def test_exporting_a_continuation_alone_brings_the_chain_it_extends(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore, target: SQLiteStore
) -> None:
    first = recorder.session("test_add fails")
    history = first.payloads[(6, "input")]["messages"][1:]
    second = recorder.session("now test_sub fails", history=history)
    path = tmp_path / "second.jsonl"
    export_reel(source, [second.session.id], path)

    # The second session's first model call is stored as a chain node whose
    # prefix is the first session's last conversation, which only the first
    # session's steps refer to.
    blobs = {r["digest"]: r["value"] for r in records_of(path.read_bytes()) if r["type"] == "blob"}

    def messages_node(store: SQLiteStore, sid: str, number: int) -> str:
        root = store.get_step(sid, number).input_ref
        assert root is not None
        node: str = orjson.loads(store.get_blobs([root])[root])["messages"]["@blob"]
        return node

    continued = messages_node(source, second.session.id, 3)
    prefix, _ = blobs[continued]["@chain"]
    assert prefix == messages_node(source, first.session.id, 6)
    assert prefix in blobs

    import_reel(target, path)
    assert target.count_sessions() == 1
    assert_copied(source, target, second)


def test_importing_twice_replaces_without_duplicates(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore, target: SQLiteStore
) -> None:
    recs = [recorder.session(), recorder.session("another")]
    ids = tuple(r.session.id for r in recs)
    path = tmp_path / "reel.jsonl.gz"
    export_reel(source, list(ids), path)

    assert import_reel(target, path).replaced == ()
    again = import_reel(target, path)
    assert again.session_ids == ids
    assert again.replaced == ids
    assert target.count_sessions() == 2
    for rec in recs:
        assert_copied(source, target, rec)


def test_importing_into_the_exporting_store_reports_the_session_replaced(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore
) -> None:
    kept = recorder.session()
    path = tmp_path / "reel.jsonl"
    export_reel(source, [kept.session.id], path)
    recorder.session("a session the file does not hold")

    summary = import_reel(source, path)
    assert summary.replaced == (kept.session.id,)
    assert source.count_sessions() == 2


def test_read_reel_returns_the_model_without_a_store(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore
) -> None:
    rec = recorder.session()
    path = tmp_path / "reel.jsonl.gz"
    exported = export_reel(source, [rec.session.id], path)

    reel = read_reel(path)
    assert reel.format_version == 1
    assert reel.sessions == (source.get_session(rec.session.id),)
    assert list(reel.steps) == source.get_steps(rec.session.id)
    assert len(reel.blobs) == exported.blobs
    assert source.get_blobs(list(reel.blobs)) == dict(reel.blobs)


def test_unknown_session_fails_and_leaves_no_file(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore
) -> None:
    rec = recorder.session()
    path = tmp_path / "reel.jsonl"
    with pytest.raises(UnknownSession):
        export_reel(source, [rec.session.id, "f" * 32], path)
    # A prefix is not a full id: the CLI resolves prefixes before exporting.
    with pytest.raises(UnknownSession):
        export_reel(source, [rec.session.id[:8]], path)
    assert not path.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reel.jsonl")]


def test_a_blob_missing_from_the_store_fails_the_export(
    tmp_path: Path, source: SQLiteStore
) -> None:
    sid = "ab" * 16
    absent = "0" * 64
    step = Step(
        session_id=sid,
        number=1,
        span_id="cd" * 8,
        kind=StepKind.TOOL,
        name="t",
        started_at=T0,
        input_ref=absent,
    )
    source.write(
        WriteBatch(sessions=[Session(id=sid, name="s", started_at=T0)], steps=[step.to_row()])
    )
    path = tmp_path / "reel.jsonl"
    with pytest.raises(MissingPayload) as info:
        export_reel(source, [sid], path)
    assert info.value.digest == absent
    assert not path.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reel.jsonl")]


def test_a_session_without_steps_round_trips(
    tmp_path: Path, source: SQLiteStore, target: SQLiteStore
) -> None:
    session = Session(
        id="12" * 16, name="empty", started_at=T0, tags=("a", "b"), metadata={"x": [1]}
    )
    source.write(WriteBatch(sessions=[session]))
    path = tmp_path / "reel.jsonl"
    summary = export_reel(source, [session.id], path)
    assert (summary.sessions, summary.steps, summary.blobs) == (1, 0, 0)
    assert import_reel(target, path).session_ids == (session.id,)
    assert target.get_session(session.id) == session
    assert target.get_steps(session.id) == []


def test_a_blob_that_is_not_canonical_json_keeps_its_exact_bytes(
    tmp_path: Path, source: SQLiteStore, target: SQLiteStore
) -> None:
    # Not what the encoder writes (keys unsorted, spaces), but a store might
    # hold it; re-dumping it would change the digest, so it travels as text.
    data = b'{"z": 1, "a": [2, 3]}'
    digest = digest_of(data)
    sid = "34" * 16
    step = Step(
        session_id=sid,
        number=1,
        span_id="56" * 8,
        kind=StepKind.TOOL,
        name="t",
        started_at=T0,
        output_ref=digest,
    )
    source.write(
        WriteBatch(
            sessions=[Session(id=sid, name="s", started_at=T0)],
            steps=[step.to_row()],
            blobs={digest: data},
        )
    )
    path = tmp_path / "reel.jsonl"
    export_reel(source, [sid], path)
    (blob,) = [r for r in records_of(path.read_bytes()) if r["type"] == "blob"]
    assert blob == {"type": "blob", "digest": digest, "text": data.decode()}

    import_reel(target, path)
    assert target.get_blobs([digest]) == {digest: data}


def test_gzip_output_is_reproducible_apart_from_the_header(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore
) -> None:
    rec = recorder.session()
    one, two = tmp_path / "1.jsonl.gz", tmp_path / "2.jsonl.gz"
    export_reel(source, [rec.session.id], one)
    export_reel(source, [rec.session.id], two)
    lines = [gzip.decompress(p.read_bytes()).split(b"\n") for p in (one, two)]
    assert lines[0][1:] == lines[1][1:]


def test_a_destination_in_a_missing_directory(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore
) -> None:
    rec = recorder.session()
    dest = tmp_path / "nowhere" / "reel.jsonl"
    with pytest.raises(ReelFileError) as info:
        export_reel(source, [rec.session.id], dest)
    assert str(info.value) == (
        f"{dest}: cannot be written (No such file or directory); "
        "check that its directory exists and is writable"
    )


def test_windows_line_ends_and_byte_order_mark_are_accepted(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore, target: SQLiteStore
) -> None:
    # What a committed fixture looks like after a checkout with autocrlf, or
    # after a save in Notepad.
    rec = recorder.session()
    path = tmp_path / "reel.jsonl"
    export_reel(source, [rec.session.id], path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    import_reel(target, path)
    assert_copied(source, target, rec)


def test_an_exported_file_is_readable_by_others(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore
) -> None:
    rec = recorder.session()
    path = tmp_path / "reel.jsonl"
    old = os.umask(0o022)
    try:
        export_reel(source, [rec.session.id], path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_every_session_field_round_trips(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore, target: SQLiteStore
) -> None:
    rec = recorder.session(
        status=Status.ERROR,
        error=ErrorInfo(type="RuntimeError", message="gave up", traceback="Traceback\n  ..."),
        forked_from=ForkRef(session_id="9" * 32, step=4),
        parent_span_id="00f067aa0ba902b7",
    )
    path = tmp_path / "reel.jsonl"
    export_reel(source, [rec.session.id], path)
    import_reel(target, path)
    assert_copied(source, target, rec)


def test_one_id_as_a_string_is_refused(
    tmp_path: Path, recorder: Recorder, source: SQLiteStore
) -> None:
    rec = recorder.session()
    with pytest.raises(TypeError, match="not one string"):
        export_reel(source, rec.session.id, tmp_path / "reel.jsonl")
