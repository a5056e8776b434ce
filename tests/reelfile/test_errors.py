"""Every way a reel file can be wrong gives one error with a one-line message
naming the file, the problem (with its line) and what to do; nothing is written."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentreel.errors import CorruptReelFile, ReelFileError, UnsupportedFormat
from agentreel.model import StepKind
from agentreel.payloads import digest_of, dump_blob
from agentreel.reelfile import export_reel, import_reel, read_reel
from agentreel.storage import SQLiteStore

from ._sessions import SYSTEM, Recorder, file_of, records_of

DAMAGED = "the file is damaged or was edited by hand; export the sessions again"
TRUNCATED = "the file is truncated (an interrupted export or copy?); export or copy it again"


@dataclass
class Sample:
    """A valid one-session reel file, and a way to check a broken variant of it."""

    records: list[dict[str, Any]]
    session_id: str
    path: Path
    target: SQLiteStore

    def edited(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.records]

    def line_of(self, **match: Any) -> int:
        """1-based line of the first record with these field values."""
        for i, r in enumerate(self.records):
            if all(r.get(k) == v for k, v in match.items()):
                return i + 1
        raise LookupError(match)

    def step(self, number: int) -> dict[str, Any]:
        return self.records[self.line_of(type="step", number=number) - 1]

    def fails(self, data: bytes, error: type[ReelFileError], problem: str) -> None:
        self.path.write_bytes(data)
        self.matches(data, error, re.escape(problem))

    def matches(self, data: bytes, error: type[ReelFileError], pattern: str) -> None:
        self.path.write_bytes(data)
        with pytest.raises(error) as info:
            read_reel(self.path)
        assert type(info.value) is error
        message = str(info.value)
        assert "\n" not in message
        assert re.fullmatch(re.escape(f"{self.path}: ") + pattern, message), message
        with pytest.raises(error):
            import_reel(self.target, self.path)
        assert self.target.count_sessions() == 0
        digests = [r["digest"] for r in self.records if r["type"] == "blob"]
        assert self.target.get_blobs(digests) == {}


@pytest.fixture
def sample(tmp_path: Path, recorder: Recorder, source: SQLiteStore, target: SQLiteStore) -> Sample:
    rec = recorder.session()
    path = tmp_path / "good.jsonl"
    export_reel(source, [rec.session.id], path)
    return Sample(records_of(path.read_bytes()), rec.session.id, tmp_path / "bad.jsonl", target)


def test_the_unedited_sample_imports(sample: Sample) -> None:
    sample.path.write_bytes(file_of(sample.records))
    assert import_reel(sample.target, sample.path).session_ids == (sample.session_id,)


# -- not a reel, or a format this agentreel does not read ---------------------


def test_a_newer_format_asks_for_an_upgrade(sample: Sample) -> None:
    # A newer format may look like anything after its header.
    header = {**sample.records[0], "format": 7}
    data = file_of([header, {"type": "frame", "n": 1}], recount=False)
    sample.fails(
        data,
        UnsupportedFormat,
        "written by a newer agentreel (format 7, this one reads up to 1); upgrade agentreel",
    )


def test_an_older_format_without_a_migration_is_unknown(sample: Sample) -> None:
    records = sample.edited()
    records[0]["format"] = 0
    sample.fails(
        file_of(records),
        UnsupportedFormat,
        "unknown reel format 0 (this agentreel reads formats 1 to 1); "
        "export the sessions again with a current agentreel",
    )


def test_a_format_that_is_not_a_number(sample: Sample) -> None:
    records = sample.edited()
    records[0]["format"] = "1"
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line 1: the format version must be an integer; {DAMAGED}",
    )


NOT_A_REEL = (
    'is not an agentreel reel file (line 1 is not a JSON header with "magic": "agentreel"); '
    "pass a file written by `agentreel export`"
)


@pytest.mark.parametrize(
    "data",
    [
        b'{"hello": "world"}\n',
        b'{"type": "header", "magic": "vcr", "format": 1}\n',
        b"name,age\nbob,3\n",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        b"\xff\xfe\x00\x00not utf-8\n",
    ],
)
def test_something_else_entirely(sample: Sample, data: bytes) -> None:
    sample.fails(data, CorruptReelFile, NOT_A_REEL)


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_an_empty_file(sample: Sample, data: bytes) -> None:
    sample.fails(data, CorruptReelFile, "is empty, not a reel file; export the sessions again")


def test_a_file_that_does_not_exist(sample: Sample) -> None:
    with pytest.raises(ReelFileError) as info:
        read_reel(sample.path.with_name("absent.jsonl"))
    assert str(info.value) == (
        f"{sample.path.with_name('absent.jsonl')}: cannot be read (No such file or directory); "
        "check the path"
    )


# -- damaged lines ----------------------------------------------------------------


def test_a_line_that_is_not_json(sample: Sample) -> None:
    lines = file_of(sample.records).split(b"\n")
    lines[4] = b'{"type": "step", oops}'
    sample.matches(
        b"\n".join(lines),
        CorruptReelFile,
        rf"line 5 is not valid JSON \(.+ at column \d+\); {re.escape(DAMAGED)}",
    )


@pytest.mark.parametrize("line", [b"[1, 2]", b'"step"', b'{"kind": "step"}'])
def test_a_line_that_is_not_a_record(sample: Sample, line: bytes) -> None:
    lines = file_of(sample.records).split(b"\n")
    lines[3] = line
    sample.fails(
        b"\n".join(lines),
        CorruptReelFile,
        f'line 4 is not a record (a JSON object with a "type"); {DAMAGED}',
    )


# -- truncation -----------------------------------------------------------------


def test_no_end_record(sample: Sample) -> None:
    records = sample.records[:-1]
    sample.fails(
        b"".join(orjson.dumps(r) + b"\n" for r in records),
        CorruptReelFile,
        f"has no end record after line {len(records)}; {TRUNCATED}",
    )


def test_counts_that_do_not_match(sample: Sample) -> None:
    records = [r for r in sample.records if r.get("number") != 4]
    sample.fails(
        file_of(records, recount=False),
        CorruptReelFile,
        f"line {len(records)}: the end record counts 6 step records but the file holds 5; "
        f"{TRUNCATED}",
    )


def test_a_line_cut_in_the_middle(sample: Sample) -> None:
    data = file_of(sample.records)
    sample.fails(
        data[:-10],
        CorruptReelFile,
        f"line {len(sample.records)} stops in the middle of a record; {TRUNCATED}",
    )


def test_an_end_record_before_the_last_line(sample: Sample) -> None:
    records = sample.edited()
    records.insert(3, records[-1])
    sample.fails(
        file_of(records, recount=False),
        CorruptReelFile,
        f"line 4: an end record before the last line; {DAMAGED}",
    )


def test_an_end_record_without_counts(sample: Sample) -> None:
    records = sample.edited()
    records[-1] = {"type": "end", "counts": {"step": "six"}}
    sample.fails(
        file_of(records, recount=False),
        CorruptReelFile,
        f"line {len(records)}: the end record lacks its record counts; {DAMAGED}",
    )


def test_a_truncated_gzip_file(sample: Sample) -> None:
    data = gzip.compress(file_of(sample.records))
    sample.fails(
        data[: len(data) // 2],
        CorruptReelFile,
        "is gzip-compressed but cannot be decompressed (it ends early); "
        "the file is truncated or damaged, export or copy it again",
    )


def test_a_damaged_gzip_file(sample: Sample) -> None:
    data = bytearray(gzip.compress(file_of(sample.records)))
    data[20:40] = b"\x00" * 20
    sample.matches(
        bytes(data),
        CorruptReelFile,
        r"is gzip-compressed but cannot be decompressed \(.+\); "
        r"the file is truncated or damaged, export or copy it again",
    )


# -- records that break the rules ---------------------------------------------------


def test_a_step_referring_to_a_missing_blob(sample: Sample) -> None:
    ref = sample.step(3)["input_ref"]
    records = [r for r in sample.records if r.get("digest") != ref]
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {sample.line_of(type='step', number=3)}: step 3 of session "
        f"{sample.session_id[:12]} refers to blob {ref[:16]}, which the file does not "
        f"contain; {DAMAGED}",
    )


def test_a_blob_referring_to_a_missing_blob(sample: Sample) -> None:
    system = digest_of(dump_blob(SYSTEM))
    records = [r for r in sample.records if r.get("digest") != system]
    line, holder = next(
        (i + 1, r)
        for i, r in enumerate(records)
        if r["type"] == "blob" and system in orjson.dumps(r["value"]).decode()
    )
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {line}: blob {holder['digest'][:16]} refers to blob {system[:16]}, which the "
        f"file does not contain; {DAMAGED}",
    )


def test_a_blob_whose_content_was_edited(sample: Sample) -> None:
    records = sample.edited()
    line = sample.line_of(type="blob", digest=digest_of(dump_blob(SYSTEM)))
    edited = {"role": "system", "content": "You are evil."}
    records[line - 1] = {**records[line - 1], "value": edited}
    digest = records[line - 1]["digest"]
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {line}: blob record {digest[:16]} does not match its content "
        f"(whose digest is {digest_of(dump_blob(edited))[:16]}); {DAMAGED}",
    )


def test_a_chain_node_that_was_reordered(sample: Sample) -> None:
    records = sample.edited()
    line, node = next((i + 1, r) for i, r in enumerate(records) if "@chain" in r.get("value", {}))
    prefix, items = node["value"]["@chain"]
    records[line - 1] = {**node, "value": {"@chain": [prefix, items[::-1]]}}
    sample.matches(
        file_of(records),
        CorruptReelFile,
        re.escape(f"line {line}: blob record {node['digest'][:16]} does not match its content")
        + rf" \(whose digest is [0-9a-f]{{16}}\); {re.escape(DAMAGED)}",
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"@chain": [None, []]}, "a @chain marker must list at least one item"),
        ({"@chain": "abc"}, "a @chain marker must hold [prefix, items]"),
        ({"@chain": [None, [{"x": 1}]]}, "@chain items must be @blob markers"),
        (
            {"messages": {"@blob": "not-a-digest"}},
            "an @blob marker must name a 64-hex-digit digest",
        ),
        ({"x": {"@lit": 3}}, "an @lit marker must wrap an object"),
    ],
)
def test_a_blob_with_malformed_markers(sample: Sample, value: Any, problem: str) -> None:
    records = sample.edited()
    digest = digest_of(dump_blob(value))
    records.insert(-1, {"type": "blob", "digest": digest, "value": value})
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {len(records) - 1}: blob record is not a payload blob: {problem}; {DAMAGED}",
    )


def test_a_blob_with_both_value_and_text(sample: Sample) -> None:
    records = sample.edited()
    line = sample.line_of(type="blob")
    records[line - 1] = {**records[line - 1], "text": "{}"}
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {line}: blob record must hold exactly one of the fields 'value' and 'text'; "
        f"{DAMAGED}",
    )


@pytest.mark.parametrize(
    ("record", "field"),
    [("session", "id"), ("session", "started_at"), ("step", "name"), ("step", "kind")],
)
def test_a_record_missing_a_required_field(sample: Sample, record: str, field: str) -> None:
    records = sample.edited()
    line = sample.line_of(type=record)
    del records[line - 1][field]
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {line}: {record} record lacks the required field {field!r}; {DAMAGED}",
    )


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("number", "3", "field 'number' must be a positive integer, not a string"),
        ("number", 0, "field 'number' must be a positive integer, not the number 0"),
        ("started_at", True, "field 'started_at' must be an integer, not true"),
        ("attributes", [], "field 'attributes' must be an object, not an array"),
        ("cost", "cheap", "field 'cost' must be a number or null, not a string"),
        ("input_ref", "abc", "field 'input_ref' must be a blob digest or null, not a string"),
        ("colour", "red", "has unknown field 'colour'"),
    ],
)
def test_a_step_field_with_the_wrong_type(
    sample: Sample, field: str, value: Any, problem: str
) -> None:
    records = sample.edited()
    line = sample.line_of(type="step", number=2)
    records[line - 1][field] = value
    sample.fails(
        file_of(records), CorruptReelFile, f"line {line}: step record {problem}; {DAMAGED}"
    )


def test_a_step_kind_that_does_not_exist(sample: Sample) -> None:
    records = sample.edited()
    line = sample.line_of(type="step", number=2)
    records[line - 1]["kind"] = "thought"
    kinds = " or ".join(repr(str(k)) for k in StepKind)
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {line}: step record field 'kind' must be {kinds}, not 'thought'; {DAMAGED}",
    )


def test_a_nested_error_without_its_message(sample: Sample) -> None:
    records = sample.edited()
    line = sample.line_of(type="step", number=4)
    del records[line - 1]["error"]["message"]
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {line}: step error record lacks the required field 'message'; {DAMAGED}",
    )


def test_an_unknown_record_type(sample: Sample) -> None:
    records = sample.edited()
    records.insert(2, {"type": "comment", "text": "hello"})
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line 3: record has an unknown type 'comment'; {DAMAGED}",
    )


def test_a_session_twice(sample: Sample) -> None:
    records = sample.edited()
    records.insert(-1, records[1])
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {len(records) - 1}: session {sample.session_id[:12]} appears twice "
        f"(first on line 2); {DAMAGED}",
    )


def test_a_step_twice(sample: Sample) -> None:
    records = sample.edited()
    line = sample.line_of(type="step", number=2)
    records.insert(line, records[line - 1])
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line {line + 1}: step 2 of session {sample.session_id[:12]} appears twice "
        f"(first on line {line}); {DAMAGED}",
    )


def test_a_step_before_its_session(sample: Sample) -> None:
    records = sample.edited()
    records[1], records[2] = records[2], records[1]
    sample.fails(
        file_of(records),
        CorruptReelFile,
        f"line 2: step 1 of session {sample.session_id[:12]} follows no session record; "
        f"steps follow their session; {DAMAGED}",
    )
