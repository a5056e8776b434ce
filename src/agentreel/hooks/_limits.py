"""Calling a hook with a time limit, so that a hook that hangs cannot hang the agent.

Deciders and wrappers run on a small pool of worker threads (in the caller's
context) and the caller waits at most the hook's time limit. A hook that
overruns is abandoned — a thread cannot be stopped — and disabled, so that
a hung hook costs one worker, not one per step.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import threading
from collections.abc import Callable
from typing import Any

from ._plugin import Impl

__all__ = ["Overran", "call_limited"]

_lock = threading.Lock()
_pool: concurrent.futures.ThreadPoolExecutor | None = None


class Overran(Exception):
    """The hook did not return within its time limit."""


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=32, thread_name_prefix="agentreel-hook"
            )
        return _pool


def _run(fn: Callable[..., Any], arg: Any, is_async: bool) -> Any:
    if is_async:
        return _asyncio().run(fn(arg))
    return fn(arg)


def call_limited(impl: Impl, arg: Any, fn: Callable[..., Any] | None = None) -> Any:
    """``impl.fn(arg)`` (or ``fn(arg)``) on a worker thread, within ``impl.timeout``.

    Raises :class:`Overran` on timeout; whatever the hook raised, otherwise.
    """
    ctx = contextvars.copy_context()
    future = _executor().submit(ctx.run, _run, fn or impl.fn, arg, impl.is_async and fn is None)
    try:
        return future.result(timeout=impl.timeout)
    except concurrent.futures.TimeoutError:
        raise Overran(f"{impl.label} took longer than {impl.timeout:g} s") from None


def _asyncio() -> Any:
    # Imported on first use: asyncio costs about 20 ms at start-up, and most
    # hooks are not coroutines.
    import asyncio

    return asyncio
