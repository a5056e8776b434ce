"""The API's JSON shapes are the CLI's ``--json`` shapes, and chat messages normalise."""

from __future__ import annotations

from agentreel.server import _shapes
from agentreel.server._messages import chat_messages
from agentreel.server._sessions import depths
from agentreel.storage import SQLiteStore

from ._reel import Recorded


def test_error_bodies_have_one_shape() -> None:
    assert _shapes.error_body("X", "m") == {"error": {"type": "X", "message": "m"}}


def test_depths_survive_odd_trees(store: SQLiteStore, ids: Recorded) -> None:
    steps = store.get_steps(ids.triage)
    assert depths(steps) == {1: 0, 2: 1, 3: 1, 4: 1}
    # A step whose parent is missing is a root.
    assert depths(steps[1:]) == {2: 0, 3: 0, 4: 0}


def test_openai_messages_keep_tool_calls() -> None:
    value = {
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "function": {"name": "f", "arguments": {"x": 1}}},
                    "junk",
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "c1",
                "name": "f",
                "content": [{"type": "text", "text": "ok"}],
            },
        ]
    }
    assert chat_messages(value) == [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "name": "f", "arguments": '{"x":1}'}],
        },
        {"role": "tool", "content": "ok", "tool_call_id": "c1", "name": "f"},
    ]


def test_anthropic_messages_become_the_same_shape() -> None:
    value = {
        "system": "be brief",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "t1", "name": "weather", "input": {"city": "Oslo"}},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "rain"}],
            },
            {"role": "user", "content": [{"type": "image", "source": {}}]},
        ],
    }
    assert chat_messages(value) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [{"id": "t1", "name": "weather", "arguments": '{"city":"Oslo"}'}],
        },
        {"role": "tool", "content": "rain", "tool_call_id": "t1"},
        {"role": "user", "content": "[image]"},
    ]


def test_non_chat_payloads_are_none() -> None:
    for value in (
        None,
        "text",
        [1],
        {"messages": []},
        {"messages": [{"content": "no role"}]},
        {"prompt": "x"},
    ):
        assert chat_messages(value) is None
