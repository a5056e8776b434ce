"""A scripted chat model: canned replies chosen by looking at the request.

The demo must record the same sessions on every run, offline. So its "model"
answers from a script: a reply is picked by the agent that asks (named in the
system prompt), how many times that agent has already answered in the
conversation (its turn), and optionally a text the last message must contain
(a test result, an error). Responses are shaped like the OpenAI and Anthropic
SDKs' responses, with token counts estimated from the text, so they read like
real ones and the recorder prices them like real ones.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import agentreel
from agentreel.errors import AgentreelError

__all__ = ["DemoError", "Reply", "ScriptError", "ScriptedModel", "ToolCall", "estimate_tokens"]

#: Every response claims the same creation time (2026-01-01T00:00:00Z): the
#: demo's payloads must not depend on when it runs.
CREATED = 1_767_225_600
#: Simulated latency: a fixed part and a part per thousand prompt tokens, so
#: durations look like a model's (the big prompt is also the slow call) while
#: the whole demo stays well under a second.
LATENCY_S = 0.002
LATENCY_PER_1K_TOKENS_S = 0.004
_AGENT = re.compile(r"^You are the (\w+) agent")

Message = dict[str, Any]


class DemoError(AgentreelError):
    """The demo did not record what it is meant to (a bug in the demo, or a lossy recorder)."""


class ScriptError(DemoError):
    """The scripted model was asked something its script does not answer."""

    def __init__(self, agent: str, turn: int, last: str) -> None:
        self.agent = agent
        self.turn = turn
        super().__init__(
            f"the demo script has no reply for the {agent} agent at turn {turn} "
            f"(last message: {last[:120]!r}); the scenario's script and its repository disagree"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """A tool call the scripted model asks for."""

    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One canned answer: for ``agent`` at ``turn``, if the last message contains ``when``."""

    agent: str
    turn: int
    when: str | None = None
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = field(default=())


def estimate_tokens(text: str) -> int:
    """About four characters per token, as English text and code average."""
    return (len(text) + 3) // 4


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Anthropic content blocks
        return "".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return ""


class ScriptedModel:
    """Answers chat requests from ``replies``; the same request always gets the same answer.

    ``chat_completions_create`` takes and returns what OpenAI's
    ``client.chat.completions.create`` does; ``messages_create`` what
    Anthropic's ``client.messages.create`` does. Both are recorded as ``llm``
    steps whose input is the request (the whole conversation so far).
    """

    def __init__(self, replies: Sequence[Reply], *, latency: bool = True) -> None:
        self._replies = tuple(replies)
        self._latency = latency

        @agentreel.llm(name="chat.completions.create")
        def chat_completions_create(
            *, model: str, messages: list[Message], tools: list[Message] | None = None
        ) -> dict[str, Any]:
            return self._openai(model, messages, tools or [])

        @agentreel.llm(name="messages.create")
        def messages_create(
            *, model: str, max_tokens: int, system: str, messages: list[Message]
        ) -> dict[str, Any]:
            return self._anthropic(model, max_tokens, system, messages)

        self.chat_completions_create = chat_completions_create
        self.messages_create = messages_create

    def answer(self, system: str, messages: Sequence[Mapping[str, Any]]) -> Reply:
        """The scripted reply to a conversation, or ``ScriptError``."""
        match = _AGENT.match(system)
        agent = match.group(1) if match else "?"
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        last = _text_of(messages[-1]) if messages else ""
        for reply in self._replies:
            if (reply.agent, reply.turn) == (agent, turn) and (reply.when or "") in last:
                return reply
        raise ScriptError(agent, turn, last)

    def _wait(self, prompt_tokens: int) -> None:
        if self._latency:
            time.sleep(LATENCY_S + LATENCY_PER_1K_TOKENS_S * prompt_tokens / 1000)

    def _openai(self, model: str, messages: list[Message], tools: list[Message]) -> dict[str, Any]:
        system = next((_text_of(m) for m in messages if m.get("role") == "system"), "")
        reply = self.answer(system, messages)
        request = _json({"model": model, "messages": messages, "tools": tools})
        digest = hashlib.sha256(request.encode()).hexdigest()
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{hashlib.sha256(f'{digest}:{i}'.encode()).hexdigest()[:24]}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": _json(call.arguments)},
                }
                for i, call in enumerate(reply.tool_calls)
            ]
        prompt = sum(4 + estimate_tokens(_json(m)) for m in messages) + 3
        prompt += estimate_tokens(_json(tools)) if tools else 0
        completion = 1 + estimate_tokens(reply.content or "")
        completion += sum(estimate_tokens(_json(c.arguments)) + 3 for c in reply.tool_calls)
        self._wait(prompt)
        return {
            "id": f"chatcmpl-{digest[:29]}",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def _anthropic(
        self, model: str, max_tokens: int, system: str, messages: list[Message]
    ) -> dict[str, Any]:
        reply = self.answer(system, messages)
        if reply.tool_calls:
            raise ScriptError(reply.agent, reply.turn, "tool calls are scripted for OpenAI only")
        request = _json({"model": model, "system": system, "messages": messages})
        digest = hashlib.sha256(request.encode()).hexdigest()
        text = reply.content or ""
        prompt = estimate_tokens(system) + sum(4 + estimate_tokens(_json(m)) for m in messages)
        completion = min(max_tokens, 1 + estimate_tokens(text))
        self._wait(prompt)
        return {
            "id": f"msg_{digest[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        }
