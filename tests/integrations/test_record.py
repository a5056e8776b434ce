"""The response record: its JSON form, reading it back, and the headers it keeps."""

from __future__ import annotations

from typing import Any

import pytest

from agentreel.integrations import ResponseRecord, ResponseRecordError
from agentreel.integrations._record import kept_headers


def test_a_stream_round_trips_through_json() -> None:
    record = ResponseRecord(
        status=200,
        headers=(("content-type", "text/event-stream"),),
        chunks=((0.5, b"data: {}\n\n"), (12.25, b"\xe2\x82"), (12.5, b"\xac\n\n")),
    )
    as_json = record.to_json()
    # A multi-byte character split across chunks keeps its boundary, in base64.
    assert as_json["chunks"] == [
        [0.5, "data: {}\n\n"],
        [12.25, {"base64": "4oI="}],
        [12.5, {"base64": "rAoK"}],
    ]
    assert ResponseRecord.from_json(as_json) == record
    assert record.content == "data: {}\n\n€\n\n".encode()


def test_a_body_round_trips_text_or_base64() -> None:
    text = ResponseRecord(status=429, headers=(("retry-after", "1"),), body=b'{"error": {}}')
    assert text.to_json() == {
        "status": 429,
        "headers": {"retry-after": "1"},
        "body": '{"error": {}}',
    }
    binary = ResponseRecord(status=200, headers=(), body=b"\x89PNG\xff")
    assert binary.to_json()["body_base64"] == "iVBOR/8="
    for record in (text, binary):
        assert ResponseRecord.from_json(record.to_json()) == record


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("200 OK", "expected a JSON object"),
        ({"headers": {}}, "'status' must be an HTTP status code"),
        ({"status": True}, "'status' must be an HTTP status code"),
        ({"status": 999}, "'status' must be an HTTP status code"),
        ({"status": 200, "headers": {"a": 1}}, "'headers' must be an object of strings"),
        ({"status": 200, "body": 5}, "'body' must be a string"),
        ({"status": 200, "chunks": [[1, "a", "b"]]}, "a chunk must be a"),
        ({"status": 200, "chunks": [[-1, "a"]]}, "milliseconds >= 0"),
        ({"status": 200, "chunks": [[1, 5]]}, "a chunk's data must be text"),
        ({"status": 200, "body_base64": "***"}, "base64 content does not decode"),
    ],
)
def test_what_is_not_a_record_says_so(value: Any, problem: str) -> None:
    with pytest.raises(ResponseRecordError, match=problem) as caught:
        ResponseRecord.from_json(value)
    assert "re-record the session" in str(caught.value)


def test_delivery_headers_and_cookies_are_not_kept() -> None:
    got = kept_headers(
        [
            ("Content-Type", "application/json"),
            ("Date", "Thu, 01 Jan 2026 00:00:00 GMT"),
            ("Content-Length", "12"),
            ("Set-Cookie", "__cf_bm=abc"),
            ("CF-RAY", "8c1f"),
            ("x-request-id", "req_1"),
            ("x-ratelimit-remaining-requests", "99"),
            ("Link", "<a>"),
            ("link", "<b>"),
        ]
    )
    assert got == (
        ("content-type", "application/json"),
        ("x-request-id", "req_1"),
        ("x-ratelimit-remaining-requests", "99"),
        ("link", "<a>, <b>"),
    )
