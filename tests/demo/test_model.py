"""The scripted model: replies picked from the request, the same every time."""

from __future__ import annotations

import pytest

from agentreel.demo import Reply, ScriptedModel, ScriptError, ToolCall

SYSTEM = "You are the fixer agent of a test."
SCRIPT = (
    Reply(agent="fixer", turn=0, tool_calls=(ToolCall(name="read_file", arguments={"path": "a"}),)),
    Reply(agent="fixer", turn=1, when="boom", content="It failed."),
    Reply(agent="fixer", turn=1, content="Done."),
    Reply(agent="planner", turn=0, content='{"goal": "g", "steps": []}'),
)


def conversation(*extra: dict[str, object]) -> list[dict[str, object]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "go"}, *extra]


def model() -> ScriptedModel:
    return ScriptedModel(SCRIPT, latency=False)


def test_a_reply_is_chosen_by_agent_turn_and_last_message() -> None:
    first = model().answer(SYSTEM, conversation())
    assert first.tool_calls[0].name == "read_file"
    assistant = {"role": "assistant", "content": None}
    failed = conversation(assistant, {"role": "tool", "content": "ValueError: boom"})
    assert model().answer(SYSTEM, failed).content == "It failed."
    passed = conversation(assistant, {"role": "tool", "content": "fine"})
    assert model().answer(SYSTEM, passed).content == "Done."


def test_an_unscripted_request_is_an_error_that_names_it() -> None:
    with pytest.raises(ScriptError, match="no reply for the verifier agent at turn 0"):
        model().answer("You are the verifier agent.", conversation())


def test_openai_shaped_response_with_tool_calls_and_usage() -> None:
    response = model().chat_completions_create(model="gpt-4o-mini", messages=conversation())
    assert response["object"] == "chat.completion"
    assert response["model"] == "gpt-4o-mini"
    (choice,) = response["choices"]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["function"] == {"name": "read_file", "arguments": '{"path": "a"}'}
    assert call["id"].startswith("call_")
    usage = response["usage"]
    assert usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_responses_are_the_same_for_the_same_request_and_differ_otherwise() -> None:
    one = model().chat_completions_create(model="gpt-4o-mini", messages=conversation())
    two = model().chat_completions_create(model="gpt-4o-mini", messages=conversation())
    other = model().chat_completions_create(model="gpt-4.1", messages=conversation())
    assert one == two
    assert one["id"] != other["id"]


def test_a_longer_prompt_counts_more_tokens() -> None:
    short = model().chat_completions_create(model="gpt-4o-mini", messages=conversation())
    long_conversation = conversation()
    long_conversation[1] = {"role": "user", "content": "go " * 4000}
    long = model().chat_completions_create(model="gpt-4o-mini", messages=long_conversation)
    assert long["usage"]["prompt_tokens"] > short["usage"]["prompt_tokens"] + 2900


def test_anthropic_shaped_response() -> None:
    response = model().messages_create(
        model="claude-sonnet-4-5",
        max_tokens=100,
        system="You are the planner agent.",
        messages=[{"role": "user", "content": "plan"}],
    )
    assert response["type"] == "message"
    assert response["content"] == [{"type": "text", "text": '{"goal": "g", "steps": []}'}]
    assert response["stop_reason"] == "end_turn"
    assert set(response["usage"]) == {"input_tokens", "output_tokens"}
