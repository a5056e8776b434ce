"""``instrument()``: capture the official clients' calls in programs left as they are.

It wraps ``HTTPTransport.handle_request`` and
``AsyncHTTPTransport.handle_async_request`` of every installed ``httpx`` /
``httpx2``: the transports every client uses unless it was given another one.
The originals are kept and called for every request; ``uninstrument()`` puts
them back.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._lib import installed_libraries
from ._transport import send, send_async

if TYPE_CHECKING:
    import httpx2

_MISSING = object()


@dataclass(slots=True, kw_only=True)
class _Patch:
    """One wrapped method, and what to put back."""

    owner: type
    name: str
    saved: Any  # the class's own attribute before patching, or _MISSING if inherited
    wrapper: Any = None
    # A wrapper someone else has wrapped again cannot be taken out of their
    # chain; uninstrument() turns it off instead.
    active: bool = True


_lock = threading.Lock()
_patches: list[_Patch] = []
_options = {"keep_timing": False}


def _sync_wrapper(patch: _Patch, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def handle_request(self: Any, request: httpx2.Request) -> httpx2.Response:
        if not patch.active:
            return original(self, request)  # type: ignore[no-any-return]
        inner = functools.partial(original, self)
        return send(request, inner, keep_timing=_options["keep_timing"])

    return handle_request


def _async_wrapper(patch: _Patch, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def handle_async_request(self: Any, request: httpx2.Request) -> httpx2.Response:
        if not patch.active:
            return await original(self, request)  # type: ignore[no-any-return]
        inner = functools.partial(original, self)
        return await send_async(request, inner, keep_timing=_options["keep_timing"])

    return handle_async_request


def _patch(owner: type, name: str, wrap: Callable[..., Any]) -> None:
    if any(p.owner is owner and p.name == name for p in _patches):
        return
    patch = _Patch(owner=owner, name=name, saved=owner.__dict__.get(name, _MISSING))
    patch.wrapper = wrap(patch, getattr(owner, name))
    setattr(owner, name, patch.wrapper)
    _patches.append(patch)


def instrument(*, keep_timing: bool = False) -> None:
    """Record every openai/anthropic client call made through httpx, from now on.

    Calling it again changes nothing but ``keep_timing``: whether a replayed
    stream delivers its chunks at their recorded times (default: at once).
    Calls are recorded only while agentreel is configured.
    """
    with _lock:
        _options["keep_timing"] = keep_timing
        for lib in installed_libraries():
            _patch(lib.HTTPTransport, "handle_request", _sync_wrapper)
            _patch(lib.AsyncHTTPTransport, "handle_async_request", _async_wrapper)


def uninstrument() -> None:
    """Put back the transport methods :func:`instrument` wrapped."""
    with _lock:
        while _patches:
            patch = _patches.pop()
            patch.active = False
            if patch.owner.__dict__.get(patch.name) is not patch.wrapper:
                continue  # wrapped again by someone else: left in place, turned off
            if patch.saved is _MISSING:
                delattr(patch.owner, patch.name)
            else:
                setattr(patch.owner, patch.name, patch.saved)


def is_instrumented() -> bool:
    """Whether :func:`instrument` is in effect."""
    return bool(_patches)
