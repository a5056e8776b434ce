"""Usage and model read off the shapes the official clients return."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import agentreel
from agentreel.storage import Store


def _record(result: Any) -> Any:
    @agentreel.llm
    def call() -> Any:
        return result

    with agentreel.session("s"):
        call()
    agentreel.flush()


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (  # OpenAI chat completions, as objects
            SimpleNamespace(
                model="gpt-4o",
                usage=SimpleNamespace(
                    prompt_tokens=1000,
                    completion_tokens=500,
                    prompt_tokens_details=SimpleNamespace(cached_tokens=200),
                    completion_tokens_details=SimpleNamespace(reasoning_tokens=300),
                ),
            ),
            ("gpt-4o", 1000, 500, 200, 300),
        ),
        (  # OpenAI Responses API
            {
                "model": "o3",
                "usage": {
                    "input_tokens": 80,
                    "output_tokens": 40,
                    "input_tokens_details": {"cached_tokens": 10},
                    "output_tokens_details": {"reasoning_tokens": 20},
                },
            },
            ("o3", 80, 40, 10, 20),
        ),
        (  # Anthropic messages: cache reads and writes are outside input_tokens
            {
                "model": "claude-sonnet-4-5",
                "usage": {
                    "input_tokens": 50,
                    "output_tokens": 10,
                    "cache_read_input_tokens": 900,
                    "cache_creation_input_tokens": 100,
                },
            },
            ("claude-sonnet-4-5", 1050, 10, 900, 0),
        ),
        (  # Anthropic extended thinking
            {
                "model": "claude-test",
                "usage": {
                    "input_tokens": 5,
                    "output_tokens": 70,
                    "output_tokens_details": {"thinking_tokens": 60},
                },
            },
            ("claude-test", 5, 70, 0, 60),
        ),
        ({"model": "gpt-4o", "usage": None}, ("gpt-4o", 0, 0, 0, 0)),
        ({"text": "no usage at all"}, (None, 0, 0, 0, 0)),
        ({"model": 42, "usage": {"prompt_tokens": "many"}}, (None, 0, 0, 0, 0)),
    ],
)
def test_usage_shapes(recorded: Store, result: Any, expected: tuple[Any, ...]) -> None:
    _record(result)
    (summary,) = recorded.list_sessions()
    step = recorded.get_step(summary.session.id, 1)
    u = step.usage
    assert (step.model, u.input, u.output, u.cached, u.reasoning) == expected


def test_usage_recorded_by_the_function_is_not_doubled(recorded: Store) -> None:
    @agentreel.llm
    def call() -> dict[str, Any]:
        step = agentreel.current_step()
        assert step is not None
        step.record_usage(input=7, output=3)
        return {"model": "gpt-4o", "usage": {"prompt_tokens": 999, "completion_tokens": 999}}

    with agentreel.session("s"):
        call()
    agentreel.flush()
    (summary,) = recorded.list_sessions()
    step = recorded.get_step(summary.session.id, 1)
    assert (step.usage.input, step.usage.output) == (7, 3)
