"""Chat payloads shown as conversations: OpenAI and Anthropic shapes."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from agentreel.cli._chat import conversation, render_conversation

from ._run import tidy


def _render(value: Any) -> str:
    messages = conversation(value)
    assert messages is not None
    console = Console(width=80, no_color=True, file=io.StringIO())
    console.print(render_conversation(messages))
    assert isinstance(console.file, io.StringIO)
    return tidy(console.file.getvalue())


def test_an_openai_conversation_with_tool_calls_and_results() -> None:
    request = {
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "What is 2+2?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "add", "arguments": '{"a": 2, "b": 2}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "4"},
        ],
    }
    assert _render(request) == (
        'user\n  What is 2+2?\nassistant\n  → calls add({"a": 2, "b": 2})\ntool (c1)\n  4\n'
    )


def test_an_anthropic_conversation_with_a_separate_system_prompt_and_parts() -> None:
    request = {
        "system": "Be brief.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Look at this:"},
                    {"type": "image", "source": {"data": "..."}},
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "zoom", "input": {"x": 1}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "zoomed"}],
            },
        ],
    }
    assert _render(request) == (
        "system\n"
        "  Be brief.\n"
        "user\n"
        "  Look at this:\n"
        "  [image]\n"
        "assistant\n"
        '  → calls zoom({"x":1})\n'
        "user\n"
        "  ← result for t1: zoomed\n"
    )


def test_outputs_a_message_or_an_openai_completion() -> None:
    assert _render({"role": "assistant", "content": "Hi"}) == "assistant\n  Hi\n"
    completion = {
        "id": "x",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "4"}}],
    }
    assert _render(completion) == "assistant\n  4\n"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        [1, 2],
        {"messages": []},
        {"messages": [{"content": "no role"}]},
        {"messages": "not a list"},
        {"role": "assistant"},
        {"choices": [{"text": "legacy completion"}]},
    ],
)
def test_other_payloads_are_not_conversations(value: Any) -> None:
    assert conversation(value) is None
