"""Small value types shared by sessions and steps."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: A JSON-safe value: what payloads, attributes and metadata hold once recorded.
JSON = Any


class StepKind(StrEnum):
    """What a step is. One meaning each; see DESIGN.md's vocabulary."""

    AGENT = "agent"
    PLAN = "plan"
    LLM = "llm"
    TOOL = "tool"
    RETRIEVAL = "retrieval"
    GUARDRAIL = "guardrail"
    HOOK = "hook"
    EVENT = "event"
    CUSTOM = "custom"


class Status(StrEnum):
    """Where a session or step is in its life."""

    RUNNING = "running"
    OK = "ok"
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenUsage:
    """Token counts of one model call, or a sum of several.

    ``cached`` and ``reasoning`` are the parts of ``input`` and ``output`` that
    vendors price differently; they are included in ``input`` and ``output``.
    """

    input: int = 0
    output: int = 0
    cached: int = 0
    reasoning: int = 0

    # The generated __init__ of a frozen dataclass sets each field through
    # object.__setattr__ (a name lookup per field); setting the slots through
    # their descriptors does the same at 70 % of the cost, and ingest builds
    # one of these per model call. dataclass() keeps an __init__ it finds.
    def __init__(
        self, *, input: int = 0, output: int = 0, cached: int = 0, reasoning: int = 0
    ) -> None:
        _set_input(self, input)
        _set_output(self, output)
        _set_cached(self, cached)
        _set_reasoning(self, reasoning)

    @property
    def total(self) -> int:
        return self.input + self.output

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input=self.input + other.input,
            output=self.output + other.output,
            cached=self.cached + other.cached,
            reasoning=self.reasoning + other.reasoning,
        )

    def __bool__(self) -> bool:
        return bool(self.input or self.output or self.cached or self.reasoning)


_set_input, _set_output, _set_cached, _set_reasoning = (
    TokenUsage.__dict__[name].__set__ for name in ("input", "output", "cached", "reasoning")
)

NO_USAGE = TokenUsage()


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo:
    """An exception as recorded: its type, message and formatted traceback."""

    type: str
    message: str
    traceback: str = ""

    def summary(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


@dataclass(frozen=True, slots=True, kw_only=True)
class ForkRef:
    """Where a forked session came from: the origin session and the step edited."""

    session_id: str
    step: int
