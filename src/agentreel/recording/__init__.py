"""Recording: the SDK hot path (sessions, steps, decorators, the background writer)."""

from agentreel._redact import MASK, Redactor

from ._api import agent, event, llm, retrieval, session, step, tool
from ._context import ContextThreadPoolExecutor, carry_context, current_session, current_step
from ._intercept import Answer, Hooks, Interceptor
from ._live import NoopSession, NoopStep, SessionHandle, StepHandle
from ._plan import PLAN_NUMBER, PLAN_STEP, PlanApi, executing, plan
from ._recorder import (
    Recorder,
    RecorderConfig,
    configure,
    count_loss,
    current_recorder,
    flush,
    install_hooks,
    price_of,
    shutdown,
    stats,
)
from ._stats import Counters

__all__ = [
    "MASK",
    "PLAN_NUMBER",
    "PLAN_STEP",
    "Answer",
    "ContextThreadPoolExecutor",
    "Counters",
    "Hooks",
    "Interceptor",
    "NoopSession",
    "NoopStep",
    "PlanApi",
    "Recorder",
    "RecorderConfig",
    "Redactor",
    "SessionHandle",
    "StepHandle",
    "agent",
    "carry_context",
    "configure",
    "count_loss",
    "current_recorder",
    "current_session",
    "current_step",
    "event",
    "executing",
    "flush",
    "install_hooks",
    "llm",
    "plan",
    "price_of",
    "retrieval",
    "session",
    "shutdown",
    "stats",
    "step",
    "tool",
]
