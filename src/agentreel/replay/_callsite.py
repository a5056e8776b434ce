"""Where in the user's code a diverging call was made."""

from __future__ import annotations

import os
import sys
from types import FrameType

#: Top-level packages whose frames are machinery between the user's code and
#: the step: agentreel itself, the HTTP stack and model clients, the event
#: loop and thread pools.
MACHINERY = frozenset(
    {
        "agentreel",
        "anthropic",
        "anyio",
        "asyncio",
        "concurrent",
        "contextlib",
        "contextvars",
        "httpcore",
        "httpx",
        "httpx2",
        "openai",
        "threading",
    }
)


def call_site(skip: int = 1) -> str | None:
    """``file:line`` of the innermost frame outside :data:`MACHINERY`, or None.

    None means no user code is on the stack: a coroutine handed straight to
    ``asyncio.gather`` or a function handed straight to a thread pool.
    The file is shown relative to the working directory when it is below it.
    """
    frame: FrameType | None = sys._getframe(skip)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        top = module.split(".", 1)[0] if isinstance(module, str) else ""
        if top not in MACHINERY:
            return f"{_shown(frame.f_code.co_filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _shown(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel
