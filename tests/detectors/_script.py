"""What a scripted session is made of: turns, tool calls and their outcomes, agent runs.

``_agent.record_script`` records a :class:`Script` as a session; the tools and
the model it talks to are in ``_tools`` and ``_model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Fail:
    """A tool raises ``kind(message)``; ``bug`` names the underlying bug for labels."""

    kind: type[Exception]
    message: str
    bug: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    tool: str
    args: dict[str, Any]
    result: Any = "ok"
    fail: Fail | None = None
    #: Sent instead of ``json.dumps(args)`` (malformed arguments); OpenAI only.
    raw: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn:
    text: str | None = None
    calls: tuple[Call, ...] = ()
    #: Extra prompt tokens in this call only (a pasted document, say).
    pad: int = 0
    #: Start a new conversation with this prompt (a batch of independent requests).
    prompt: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One agent: its prompt, tools, model and scripted turns.

    ``system_from`` replaces the system prompt from a turn on (None drops
    it); ``keep_last_from`` = (turn, n) sends only the last n messages from
    that turn on, as a context-trimming framework would.
    """

    agent: str
    system: str
    task: str
    tools: tuple[str, ...]
    turns: tuple[Turn, ...]
    vendor: str = "openai"
    model: str = "gpt-4o-mini"
    plan_step: str | None = None
    system_from: tuple[int, str | None] | None = None
    dynamic_system: bool = False
    keep_last_from: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    name: str
    project: str
    runs: tuple[Run, ...]
    #: (plan step id, agent, task) items; recorded by a planner agent first.
    plan: tuple[tuple[str, str, str], ...] = ()
    plan_model: str = "claude-sonnet-4-5"


@dataclass(slots=True)
class Recorded:
    """What recording a script learnt: its session id and where things happened."""

    session_id: str = ""
    plan_step: int | None = None
    plan_llm: int | None = None
    agents: dict[int, int] = field(default_factory=dict)
    llm: dict[tuple[int, int], int] = field(default_factory=dict)
    tools: dict[tuple[int, int, int], int] = field(default_factory=dict)
    #: (step number, bug) of every tool failure, and numbers of tools that succeeded.
    failures: list[tuple[int, str]] = field(default_factory=list)
    successes: list[int] = field(default_factory=list)
