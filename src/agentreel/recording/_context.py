"""The current session and step, carried by contextvars.

contextvars follow asyncio tasks on their own (each task starts with a copy of
its creator's context) but not threads; ``carry_context`` and
``ContextThreadPoolExecutor`` carry them into a thread pool.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from ._live import SessionHandle, StepHandle

P = ParamSpec("P")
R = TypeVar("R")

current_step_var: contextvars.ContextVar[StepHandle | None] = contextvars.ContextVar(
    "agentreel_step", default=None
)
current_session_var: contextvars.ContextVar[SessionHandle | None] = contextvars.ContextVar(
    "agentreel_session", default=None
)
#: Attributes every step started in this context gets, unless it sets them
#: itself: ``agentreel.executing`` names the plan step being carried out.
step_marks_var: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "agentreel_step_marks", default=None
)
#: False until ``agentreel.executing`` is first used: until then no step
#: needs to read ``step_marks_var``, and every step start skips it.
marks_used = False


def current_step() -> StepHandle | None:
    """The innermost step open in this context, or ``None``."""
    return current_step_var.get()


def current_session() -> SessionHandle | None:
    """The session open in this context, or ``None``."""
    step = current_step_var.get()
    if step is not None:
        return step.session
    return current_session_var.get()


def carry_context(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``fn`` so that, called in another thread, it runs in the caller's context.

    The context is captured when ``carry_context`` is called, so steps recorded
    by ``fn`` nest under the step that was current at that moment.
    """
    ctx = contextvars.copy_context()

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return ctx.run(fn, *args, **kwargs)

    return run


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` whose tasks run in the context of their ``submit()`` call."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        ctx = contextvars.copy_context()
        return super().submit(ctx.run, fn, *args, **kwargs)
