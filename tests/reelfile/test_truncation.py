"""A reel file cut short anywhere is refused, and nothing of it is written.

Every cut point is tried, not a sample: a file cut between two records must be
caught as surely as one cut inside a record, a number or a gzip block.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from agentreel.errors import CorruptReelFile
from agentreel.reelfile import export_reel, import_reel
from agentreel.storage import SQLiteStore

from ._sessions import Recorder, records_of


@pytest.fixture
def reel(tmp_path: Path, recorder: Recorder, source: SQLiteStore) -> bytes:
    """Two sessions sharing blobs, as a plain reel file."""
    recorder.session()
    recorder.session("another question")
    ids = [s.session.id for s in source.list_sessions()]
    path = tmp_path / "reel.jsonl"
    export_reel(source, ids, path)
    return path.read_bytes()


def test_every_cut_of_a_plain_file_is_refused(reel: bytes, target: SQLiteStore) -> None:
    header_end = reel.index(b"\n")
    # Up to the last byte but one: without just its final newline, the file
    # still holds every record, and is accepted (next test).
    for cut in range(len(reel) - 1):
        with pytest.raises(CorruptReelFile) as info:
            import_reel(target, io.BytesIO(reel[:cut]))
        if cut > header_end:
            assert "the file is truncated" in str(info.value), cut
    assert target.count_sessions() == 0
    digests = [r["digest"] for r in records_of(reel) if r["type"] == "blob"]
    assert target.get_blobs(digests) == {}


def test_only_the_final_newline_may_go_missing(reel: bytes, target: SQLiteStore) -> None:
    assert reel.endswith(b"}\n")
    summary = import_reel(target, io.BytesIO(reel[:-1]))
    assert len(summary.session_ids) == 2


def test_every_cut_of_a_gzip_file_is_refused(reel: bytes, target: SQLiteStore) -> None:
    packed = gzip.compress(reel, mtime=0)
    for cut in range(len(packed)):
        with pytest.raises(CorruptReelFile) as info:
            import_reel(target, io.BytesIO(packed[:cut]))
        if cut >= 2:  # two bytes make the gzip magic; fewer are just not a reel
            assert "truncated" in str(info.value), cut
    assert target.count_sessions() == 0
    assert len(import_reel(target, io.BytesIO(packed)).session_ids) == 2
