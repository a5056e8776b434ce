"""Opt-in patching: ``time.time``, ``random.random`` and ``uuid.uuid4`` through the seams.

Explicit seams (``agentreel.now()`` ...) are the reliable way. For code that
calls the standard library directly, the three module attributes can be
replaced by functions that use the seams while a session that asked for it
is current — ``agentreel.session(..., deterministic=True)``, or every session
after ``agentreel.configure(patch_nondeterminism=True)`` — and the original
function everywhere else (other threads without the session's context, the
recorder's own thread, code outside sessions).

What this cannot reach, by construction: a name bound before patching
(``from time import time``), private ``random.Random()`` instances and the
other functions of ``random`` (``choice``, ``randint``... draw from the
module's generator without calling ``random.random``), clocks read in C
extensions, ``time.monotonic``/``perf_counter``, and the timing of threads.
"""

from __future__ import annotations

import random as _random_module
import time as _time_module
import uuid as _uuid_module
from typing import Any

from agentreel.recording import current_session
from agentreel.recording._recorder import STATE

from ._seams import _real_random, _real_time, _real_uuid4, now, passthrough, random, uuid4

_PATCHES: tuple[tuple[Any, str, Any, Any], ...] = ()


def _routed() -> bool:
    rec = STATE.recorder
    if rec is None or passthrough.get():
        return False
    session = current_session()
    if session is None:
        return False
    return session.deterministic or rec.config.patch_nondeterminism


def _time() -> float:
    return now() if _routed() else _real_time()


def _random() -> float:
    return random() if _routed() else _real_random()


def _uuid4() -> _uuid_module.UUID:
    return uuid4() if _routed() else _real_uuid4()


def patch() -> None:
    """Install the three patched functions (idempotent).

    Called by ``session(deterministic=True)`` and
    ``configure(patch_nondeterminism=True)``; the patched functions pass
    through to the originals outside such sessions, so they can stay.
    """
    global _PATCHES
    if _PATCHES:
        return
    targets = (
        (_time_module, "time", _time, _real_time),
        (_random_module, "random", _random, _real_random),
        (_uuid_module, "uuid4", _uuid4, _real_uuid4),
    )
    for module, name, replacement, _original in targets:
        setattr(module, name, replacement)
    _PATCHES = targets


def unpatch() -> None:
    """Put the original functions back (where nobody replaced ours since)."""
    global _PATCHES
    for module, name, replacement, original in _PATCHES:
        if getattr(module, name) is replacement:
            setattr(module, name, original)
    _PATCHES = ()


def is_patched() -> bool:
    """Whether the patched functions are installed."""
    return bool(_PATCHES)


STATE.install_seams = patch
