"""Rules every backend applies the same way: which write wins, and JSON columns.

Kept in one place so the memory store and the SQL stores cannot drift apart on
what "a running row never replaces a finished one" means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from agentreel.errors import StoreError
from agentreel.model import JSON, ErrorInfo, Session, Status, StepRow

RUNNING = Status.RUNNING.value

_HEX = re.compile(r"[0-9a-f]+")

#: Tuples and non-string keys are stored the way JSON can hold them; both
#: backends use these options so they read back the same values.
_DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS


def dump_json(value: Any) -> bytes:
    return orjson.dumps(value, option=_DUMP_OPTIONS)


def dump_attributes(value: Any) -> bytes:
    """A step row's attributes as JSON bytes; rows may carry them pre-encoded."""
    return value if type(value) is bytes else orjson.dumps(value, option=_DUMP_OPTIONS)


def load_json(data: bytes | str) -> Any:
    return orjson.loads(data)


def dump_error(error: ErrorInfo | None) -> bytes | None:
    # orjson serialises slotted dataclasses natively: type, message, traceback.
    return None if error is None else orjson.dumps(error)


def load_error(data: bytes | str | None) -> ErrorInfo | None:
    return None if data is None else ErrorInfo(**orjson.loads(data))


def snapshot(value: Mapping[str, JSON]) -> dict[str, JSON]:
    """A deep, JSON-faithful copy: what a round trip through a database gives."""
    result: dict[str, JSON] = orjson.loads(dump_json(value))
    return result


def coalesce_steps(rows: Sequence[StepRow]) -> Iterator[StepRow]:
    """One row per (session id, number): the last one, unless it is a running
    row that would replace a finished one earlier in the batch."""
    # Keyed by session, then number, rather than by (session, number) tuples:
    # on the recording hot path every container allocated per row counts
    # towards the host program's next garbage collection.
    latest: dict[str, dict[int, StepRow]] = {}
    for row in rows:
        by_number = latest.get(row[0])
        if by_number is None:
            by_number = latest[row[0]] = {}
        prev = by_number.get(row[1])
        if prev is None or row[7] != RUNNING or prev[7] == RUNNING:
            by_number[row[1]] = row
    for by_number in latest.values():
        yield from by_number.values()


def coalesce_sessions(sessions: Sequence[Session]) -> Iterable[Session]:
    """One session per id, with the same rule as :func:`coalesce_steps`."""
    latest: dict[str, Session] = {}
    for session in sessions:
        prev = latest.get(session.id)
        if prev is None or session.status != RUNNING or prev.status == RUNNING:
            latest[session.id] = session
    return latest.values()


def replaces(new_status: str, old_status: str) -> bool:
    """Whether a row with ``new_status`` may overwrite one with ``old_status``."""
    return new_status != RUNNING or old_status == RUNNING


def hex_prefix(prefix: str) -> str | None:
    """``prefix`` lowercased if it can start a session id (lowercase hex), else None."""
    wanted = prefix.lower()
    return wanted if _HEX.fullmatch(wanted) else None


#: A reference from one payload blob to another, in the compact JSON that
#: ``agentreel.payloads`` writes: a ``{"@blob": digest}`` value, or the prefix
#: of a ``{"@chain": [prefix, items]}`` node. Inside a JSON string these
#: quotes would be escaped, so text a program sent never looks like one. The
#: PostgreSQL store finds the same two shapes with string functions, from
#: ``BLOB_MARK`` and ``CHAIN_START`` (a regular expression there costs ~30
#: times as much).
BLOB_REF = re.compile(rb'"(?:@blob":|@chain":\[)"([0-9a-f]{64})"')
BLOB_MARK = '"@blob":"'
CHAIN_START = '{"@chain":["'


def blob_refs(data: bytes) -> list[str]:
    """The digests of the blobs that a payload blob refers to."""
    return [m.decode() for m in BLOB_REF.findall(data)]


def blob_text(data: bytes) -> str:
    """A blob as the lowercased text the payload search looks in."""
    return data.decode("utf-8", "replace").lower()


def number_spans(
    span_ids: Sequence[str], known: Mapping[str, int], highest: int
) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """The numbers of ``span_ids``: ``known`` ones kept, new ones after ``highest``.

    Returns every span id's number and the (span id, number) pairs that are new.
    """
    numbers: dict[str, int] = {}
    new: list[tuple[str, int]] = []
    for span_id in span_ids:
        if span_id in numbers:
            continue
        number = known.get(span_id)
        if number is None:
            highest += 1
            number = highest
            new.append((span_id, number))
        numbers[span_id] = number
    return numbers, new


def not_json_safe(location: str, exc: Exception) -> StoreError:
    return StoreError(
        f"cannot write to {location}: a value is not JSON-safe ({exc}); "
        "pass attributes and metadata through agentreel.payloads.jsonable first"
    )
