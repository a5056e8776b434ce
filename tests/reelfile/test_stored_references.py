"""The byte scan that finds a stored blob's references agrees with parsing it."""

from __future__ import annotations

import orjson
import pytest

from agentreel.payloads import PayloadEncoder
from agentreel.reelfile._payloads import _stored_references, references

DIGEST = "a" * 64

VALUES = [
    *(
        {"model": "m", "messages": [{"role": "user", "content": f"turn {i}"} for i in range(k)]}
        for k in range(1, 9)
        for i in range(2)
    ),
    {"x": {"@blob": DIGEST}},  # a user dict shaped like a marker: stored under @lit
    [{"@chain": 1}, {"b": 2}],
    {"@lit": 3},
    {"text": f'looks like "@blob":"{DIGEST}" but is a string'},
    {"nested": [{"tool_calls": [{"id": "c1"}, {"id": "c2"}]}, {"id": "x"}]},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_scan_finds_what_parsing_finds(value: object) -> None:
    encoded = PayloadEncoder().encode(value)
    for data in encoded.blobs.values():
        assert _stored_references(data) == references(orjson.loads(data))


def test_a_blob_spelled_with_spaces_is_parsed() -> None:
    prefix, item = "b" * 64, "c" * 64
    data = f'{{"@chain": ["{prefix}", [{{"@blob": "{item}"}}]]}}'.encode()
    assert _stored_references(data) == [prefix, item]
