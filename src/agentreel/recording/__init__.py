"""Recording: the SDK hot path (sessions, steps, decorators, the background writer)."""

from ._api import agent, event, llm, plan, retrieval, session, step, tool
from ._context import ContextThreadPoolExecutor, carry_context, current_session, current_step
from ._intercept import Answer, Interceptor
from ._live import NoopSession, NoopStep, SessionHandle, StepHandle
from ._recorder import Recorder, RecorderConfig, configure, flush, shutdown, stats
from ._redact import MASK, Redactor

__all__ = [
    "MASK",
    "Answer",
    "ContextThreadPoolExecutor",
    "Interceptor",
    "NoopSession",
    "NoopStep",
    "Recorder",
    "RecorderConfig",
    "Redactor",
    "SessionHandle",
    "StepHandle",
    "agent",
    "carry_context",
    "configure",
    "current_session",
    "current_step",
    "event",
    "flush",
    "llm",
    "plan",
    "retrieval",
    "session",
    "shutdown",
    "stats",
    "step",
    "tool",
]
