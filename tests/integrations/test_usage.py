"""Model and usage read off whole and streamed responses."""

from __future__ import annotations

import json
from typing import Any

from agentreel.integrations import ResponseRecord
from agentreel.integrations._usage import CallUsage, events, read_usage


def _sse(*docs: Any, named: bool = False) -> bytes:
    out = []
    for doc in docs:
        data = doc if isinstance(doc, str) else json.dumps(doc)
        name = f"event: {doc['type']}\r\n" if named and isinstance(doc, dict) else ""
        out.append(f"{name}data: {data}\r\n\r\n")
    return "".join(out).encode()


def _stream(text: bytes, cut: int = 7) -> ResponseRecord:
    # Cut anywhere: usage must not depend on where the chunks were split.
    chunks = tuple((float(i), text[i : i + cut]) for i in range(0, len(text), cut))
    return ResponseRecord(
        status=200, headers=(("content-type", "text/event-stream"),), chunks=chunks
    )


def test_events_join_data_lines_and_keep_names() -> None:
    text = "event: a\ndata: one\ndata: two\n\n: comment\n\ndata: three\r\n\r\ndata: [DONE]"
    assert events(text) == [("a", "one\ntwo"), ("", "three"), ("", "[DONE]")]


def test_anthropic_stream_takes_prompt_usage_from_start_and_output_from_delta() -> None:
    text = _sse(
        {
            "type": "message_start",
            "message": {
                "model": "claude-x",
                "usage": {
                    "input_tokens": 40,
                    "cache_read_input_tokens": 100,
                    "cache_creation_input_tokens": 10,
                    "output_tokens": 1,
                },
            },
        },
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "hi"}},
        {"type": "message_delta", "usage": {"output_tokens": 33, "input_tokens": None}},
        {"type": "message_stop"},
        named=True,
    )
    got = read_usage(_stream(text))
    assert got == CallUsage(
        model="claude-x", input=150, output=33, cached=100, reasoning=0, reported=True
    )


def test_responses_stream_takes_the_completed_response() -> None:
    usage = {
        "input_tokens": 80,
        "input_tokens_details": {"cached_tokens": 64},
        "output_tokens": 30,
        "output_tokens_details": {"reasoning_tokens": 12},
    }
    text = _sse(
        {"type": "response.created", "response": {"model": "gpt-a", "usage": None}},
        {"type": "response.output_text.delta", "delta": "x"},
        {"type": "response.completed", "response": {"model": "gpt-b", "usage": usage}},
        named=True,
    )
    got = read_usage(_stream(text, cut=5))
    assert got == CallUsage(
        model="gpt-b", input=80, output=30, cached=64, reasoning=12, reported=True
    )


def test_chat_stream_without_usage_reports_only_the_model() -> None:
    chunk = {"object": "chat.completion.chunk", "model": "gpt-c", "choices": [], "usage": None}
    got = read_usage(_stream(_sse(chunk, chunk, "[DONE]")))
    assert got == CallUsage(model="gpt-c")


def test_a_whole_chat_completion_and_an_error_body() -> None:
    body = {
        "object": "chat.completion",
        "model": "gpt-d",
        "usage": {
            "prompt_tokens": 20,
            "completion_tokens": 9,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 3},
        },
    }
    record = ResponseRecord(status=200, headers=(), body=json.dumps(body).encode())
    assert read_usage(record) == CallUsage(
        model="gpt-d", input=20, output=9, cached=4, reasoning=3, reported=True
    )
    error = ResponseRecord(status=500, headers=(), body=b"upstream timed out")
    assert read_usage(error) == CallUsage()
