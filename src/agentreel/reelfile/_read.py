"""Reading a reel file: envelope, format version, migrations, records.

The whole file is checked before anything is returned, in this order: the
header (is it a reel at all, and a format this agentreel reads?), every line
(JSON objects with a type), the end record and its counts (is it complete?),
then, after migrating to the current format, every record and every
reference between them. The first problem found is raised with its line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from agentreel.errors import CorruptReelFile, UnsupportedFormat
from agentreel.model import Session, Step

from ._fields import Problem
from ._io import Source, name_of, read_source
from ._migrate import REEL_FORMAT_VERSION, Record, migrate, oldest_readable
from ._records import blob_from, blob_references, session_from, step_from

MAGIC = "agentreel"

_DAMAGED = "the file is damaged or was edited by hand; export the sessions again"
_TRUNCATED = "the file is truncated (an interrupted export or copy?); export or copy it again"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reel:
    """The contents of a reel file, checked and migrated to the current model.

    ``format_version`` is the format the file was written in; the sessions,
    steps and blobs have been migrated from it. ``steps`` holds the steps of
    every session, in file order; ``blobs`` maps digest to canonical bytes.
    """

    format_version: int
    sessions: tuple[Session, ...]
    steps: tuple[Step, ...]
    blobs: Mapping[str, bytes]


def read_reel(source: Source) -> Reel:
    """Parse, check and migrate a reel file (plain or gzip); no store involved.

    Raises :class:`~agentreel.errors.UnsupportedFormat` for a format this
    agentreel cannot read and :class:`~agentreel.errors.CorruptReelFile` for
    anything else wrong with the file.
    """
    name = name_of(source)
    data = read_source(source)
    try:
        return _parse(name, data)
    except Problem as p:
        raise CorruptReelFile(name, f"line {p.line}: {p.message}; {_DAMAGED}") from None


def _parse(name: str, data: bytes) -> Reel:
    # Editors on Windows may add a byte-order mark (and CRLF line ends, which
    # JSON parsing ignores as whitespace); neither changes what the file says.
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    complete = lines[-1] == b""
    if complete:
        lines.pop()
    if not any(line.strip() for line in lines):
        raise CorruptReelFile(name, "is empty, not a reel file; export the sessions again")
    version = _read_header(name, lines[0])

    records: list[Record] = []
    for number, raw in enumerate(lines[1:], start=2):
        if raw.strip():
            cut = number == len(lines) and not complete
            records.append(_parse_line(name, number, raw, cut=cut))
    _check_end(name, records)
    body = migrate(records[:-1], version)
    return _decode(version, body)


def _read_header(name: str, raw: bytes) -> int:
    try:
        header = orjson.loads(raw)
    except orjson.JSONDecodeError:
        header = None
    if not (isinstance(header, dict) and header.get("magic") == MAGIC):
        raise CorruptReelFile(
            name,
            "is not an agentreel reel file (line 1 is not a JSON header with "
            '"magic": "agentreel"); pass a file written by `agentreel export`',
        )
    version = header.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CorruptReelFile(name, f"line 1: the format version must be an integer; {_DAMAGED}")
    if version > REEL_FORMAT_VERSION:
        raise UnsupportedFormat(
            name,
            f"written by a newer agentreel (format {version}, this one reads up to "
            f"{REEL_FORMAT_VERSION}); upgrade agentreel",
        )
    oldest = oldest_readable()
    if version < oldest:
        raise UnsupportedFormat(
            name,
            f"unknown reel format {version} (this agentreel reads formats {oldest} to "
            f"{REEL_FORMAT_VERSION}); export the sessions again with a current agentreel",
        )
    return version


def _parse_line(name: str, number: int, raw: bytes, *, cut: bool) -> Record:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if cut:
            raise CorruptReelFile(
                name, f"line {number} stops in the middle of a record; {_TRUNCATED}"
            ) from None
        raise CorruptReelFile(
            name, f"line {number} is not valid JSON ({exc.msg} at column {exc.colno}); {_DAMAGED}"
        ) from None
    if not (isinstance(value, dict) and isinstance(value.get("type"), str)):
        raise CorruptReelFile(
            name, f'line {number} is not a record (a JSON object with a "type"); {_DAMAGED}'
        )
    return Record(line=number, data=value)


def _check_end(name: str, records: list[Record]) -> None:
    """Check that the last record is the end record and its counts match."""
    for record in records[:-1]:
        if record.data["type"] == "end":
            raise CorruptReelFile(
                name, f"line {record.line}: an end record before the last line; {_DAMAGED}"
            )
    if not records or records[-1].data["type"] != "end":
        last = records[-1].line if records else 1
        raise CorruptReelFile(name, f"has no end record after line {last}; {_TRUNCATED}")
    end = records[-1]
    counts = end.data.get("counts")
    if not (
        isinstance(counts, dict)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in counts.values())
    ):
        raise CorruptReelFile(
            name, f"line {end.line}: the end record lacks its record counts; {_DAMAGED}"
        )
    held = Counter(r.data["type"] for r in records[:-1])
    for kind in sorted(set(held) | set(counts)):
        if held[kind] != counts.get(kind, 0):
            raise CorruptReelFile(
                name,
                f"line {end.line}: the end record counts {counts.get(kind, 0)} {kind} records "
                f"but the file holds {held[kind]}; {_TRUNCATED}",
            )


def _decode(version: int, body: list[Record]) -> Reel:
    sessions: dict[str, Session] = {}
    steps: dict[tuple[str, int], Step] = {}
    blobs: dict[str, bytes] = {}
    first_line: dict[Any, int] = {}
    needed: list[tuple[Record, str, str]] = []  # (record, digest, who needs it)
    current: str | None = None

    def once(key: Any, record: Record, what: str) -> None:
        if key in first_line:
            raise Problem(record.line, f"{what} appears twice (first on line {first_line[key]})")
        first_line[key] = record.line

    for record in body:
        kind = record.data.get("type")
        if kind == "session":
            session = session_from(record)
            once(("session", session.id), record, f"session {session.id[:12]}")
            sessions[session.id] = session
            current = session.id
        elif kind == "step":
            step = step_from(record)
            who = f"step {step.number} of session {step.session_id[:12]}"
            if step.session_id != current:
                after = "no session record" if current is None else f"session {current[:12]}"
                raise Problem(record.line, f"{who} follows {after}; steps follow their session")
            once(("step", step.session_id, step.number), record, who)
            steps[(step.session_id, step.number)] = step
            needed.extend((record, ref, who) for ref in (step.input_ref, step.output_ref) if ref)
        elif kind == "blob":
            digest, data, value = blob_from(record)
            once(("blob", digest), record, f"blob {digest[:16]}")
            blobs[digest] = data
            who = f"blob {digest[:16]}"
            needed.extend((record, ref, who) for ref in blob_references(record, value))
        else:
            raise Problem(record.line, f"record has an unknown type {kind!r}")

    for record, digest, who in needed:
        if digest not in blobs:
            raise Problem(
                record.line, f"{who} refers to blob {digest[:16]}, which the file does not contain"
            )
    return Reel(
        format_version=version,
        sessions=tuple(sessions.values()),
        steps=tuple(steps.values()),
        blobs=blobs,
    )
