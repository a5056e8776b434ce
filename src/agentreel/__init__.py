"""agentreel: a flight recorder, step-through debugger and hook layer for LLM agents.

Recording is off until :func:`configure` is called; before that, every call
below costs next to nothing and records nothing::

    import agentreel

    agentreel.configure()                    # ./.agentreel/reel.db

    @agentreel.tool
    def search(query: str) -> list[str]: ...

    with agentreel.session("triage", tags=["nightly"]):
        search("flaky test")
"""

from typing import Any

from ._version import installed_version as _installed_version
from .determinism import now, random, uuid4
from .errors import AgentreelError
from .hooks import breakpoint, breakpoints, clear_breakpoint, clear_breakpoints
from .model import Plan, PlanStep, Session, SessionSummary, Status, Step, StepKind, TokenUsage
from .recording import (
    ContextThreadPoolExecutor,
    SessionHandle,
    StepHandle,
    agent,
    carry_context,
    configure,
    current_session,
    current_step,
    event,
    executing,
    flush,
    llm,
    plan,
    retrieval,
    session,
    shutdown,
    stats,
    step,
    tool,
)
from .replay import replay

__all__ = [
    "AgentreelError",
    "ContextThreadPoolExecutor",
    "Plan",
    "PlanStep",
    "Session",
    "SessionHandle",
    "SessionSummary",
    "Status",
    "Step",
    "StepHandle",
    "StepKind",
    "TokenUsage",
    "__version__",
    "agent",
    "breakpoint",
    "breakpoints",
    "carry_context",
    "clear_breakpoint",
    "clear_breakpoints",
    "configure",
    "current_session",
    "current_step",
    "event",
    "executing",
    "flush",
    "llm",
    "now",
    "plan",
    "random",
    "replay",
    "retrieval",
    "session",
    "shutdown",
    "stats",
    "step",
    "tool",
    "uuid4",
]


def __getattr__(name: str) -> Any:
    # ``__version__`` is computed on first access: see _version.py.
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module 'agentreel' has no attribute {name!r}")
