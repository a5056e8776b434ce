"""The scripted agents' model: it answers each request with the next scripted turn.

Answers are shaped like the OpenAI chat API's or the Anthropic messages API's,
tool calls included, with token counts estimated from the text (a quarter of
a token per character), so the recorder prices them like real ones.
"""

from __future__ import annotations

import json
from typing import Any

import agentreel

from ._script import Turn

TOKENS_PER_CHAR = 0.25
#: Step numbers of the plan steps recorded so far.
PLANS: list[int] = []


def _tokens(value: Any) -> int:
    return int(len(json.dumps(value, sort_keys=True)) * TOKENS_PER_CHAR) + 1


class _Model:
    """Answers each request with the next scripted turn, in the vendor's shape."""

    def __init__(self) -> None:
        self.turn: Turn | None = None
        self.ids: list[str] = []
        self.number = 0

    def _note(self) -> None:
        step = agentreel.current_step()
        self.number = step.number if step is not None else -1

    def openai(self, model: str, messages: list[Any], tools: Any) -> dict[str, Any]:
        self._note()
        turn = self.turn or Turn(text="")
        calls = [
            {
                "id": cid,
                "type": "function",
                "function": {"name": c.tool, "arguments": c.raw or json.dumps(c.args)},
            }
            for cid, c in zip(self.ids, turn.calls, strict=True)
        ]
        message: dict[str, Any] = {"role": "assistant", "content": turn.text}
        if calls:
            message["tool_calls"] = calls
        prompt = _tokens(messages) + (_tokens(tools) if tools else 0) + turn.pad
        completion = _tokens(message)
        return {
            "id": f"chatcmpl-{self.number}",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def anthropic(self, model: str, system: str, messages: list[Any], tools: Any) -> dict[str, Any]:
        self._note()
        turn = self.turn or Turn(text="")
        content: list[dict[str, Any]] = []
        if turn.text:
            content.append({"type": "text", "text": turn.text})
        content += [
            {"type": "tool_use", "id": cid, "name": c.tool, "input": c.args}
            for cid, c in zip(self.ids, turn.calls, strict=True)
        ]
        prompt = _tokens(system) + _tokens(messages) + (_tokens(tools) if tools else 0) + turn.pad
        return {
            "id": f"msg_{self.number}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "tool_use" if turn.calls else "end_turn",
            "usage": {"input_tokens": prompt, "output_tokens": _tokens(content)},
        }


MODEL = _Model()


@agentreel.llm(name="chat.completions.create")
def chat_completions_create(
    *, model: str, messages: list[Any], tools: list[Any] | None = None
) -> dict[str, Any]:
    return MODEL.openai(model, messages, tools)


@agentreel.llm(name="messages.create")
def messages_create(
    *, model: str, max_tokens: int, system: str, messages: list[Any], tools: list[Any] | None = None
) -> dict[str, Any]:
    return MODEL.anthropic(model, system, messages, tools)


@agentreel.plan(name="plan")
def make_plan(task: str, items: list[dict[str, str]], model: str) -> dict[str, Any]:
    step = agentreel.current_step()
    PLANS.append(step.number if step is not None else -1)
    MODEL.turn, MODEL.ids = Turn(text=json.dumps({"steps": items})), []
    messages_create(
        model=model,
        max_tokens=1024,
        system="You are the planner. Split the task into steps, one agent each. Answer in JSON.",
        messages=[{"role": "user", "content": task}],
    )
    return {"goal": task, "steps": items}
