"""The seams: clock, random numbers and ids that a replay can serve back.

Recording: each value drawn is appended to the current step's attribute
``agentreel.values`` as ``[seam, value]`` (outside any step, to a zero-length
``event`` step named ``agentreel.values`` made for it). Replaying: the
interceptor installed on the recorder (``agentreel.replay``) hands back the
value the matched recorded step drew at the same position, in order.

The values are drawn from the functions as they were when this module was
imported, so patching ``time.time`` (see ``_patch``) cannot make a seam call
itself.
"""

from __future__ import annotations

import random as _random_module
import time as _time_module
import uuid as _uuid_module
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Protocol

from agentreel.model import JSON
from agentreel.recording import StepHandle, current_step
from agentreel.recording._recorder import STATE

#: The step attribute that holds the values drawn in that step, in order.
VALUES_ATTRIBUTE = "agentreel.values"
#: The name of the event step that holds a value drawn outside any step.
VALUES_EVENT = "agentreel.values"

_real_time = _time_module.time
_real_random = _random_module.random
_real_uuid4 = _uuid_module.uuid4

#: True while agentreel's own code runs (a seam drawing, the replay engine
#: matching): the patched stdlib functions then call the originals, so nothing
#: agentreel does is recorded as a value of the program, and the engine is
#: never re-entered from inside itself.
passthrough: ContextVar[bool] = ContextVar("agentreel_passthrough", default=False)


class ValueSource(Protocol):
    """What serves recorded values: the replay engine implements it."""

    def recorded_value(self, step: StepHandle, seam: str) -> tuple[bool, JSON]:
        """``(True, value)`` to serve ``value``; ``(False, None)`` to draw live.

        Raises an :class:`~agentreel.errors.AgentreelError` (a strict replay's
        divergence) when the recording has no such value to give.
        """


def now() -> float:
    """Seconds since the epoch, like ``time.time()``; recorded, and served on replay."""
    return float(_draw("now", _real_time))


def random() -> float:
    """A float in [0, 1), like ``random.random()``; recorded, and served on replay."""
    return float(_draw("random", _real_random))


def uuid4() -> _uuid_module.UUID:
    """A random UUID, like ``uuid.uuid4()``; recorded, and served on replay."""
    return _uuid_module.UUID(str(_draw("uuid4", _live_uuid)))


def _live_uuid() -> str:
    return str(_real_uuid4())


def _draw(seam: str, live: Callable[[], Any]) -> Any:
    rec = STATE.recorder
    if rec is None:  # not recording: the seam is the plain function
        return live()
    token = passthrough.set(True)
    try:
        step = current_step()
        event: StepHandle | None = None
        if step is None:
            event = StepHandle(rec, "event", VALUES_EVENT)
            step = event.start()
        try:
            source = getattr(rec.interceptor, "recorded_value", None)
            served, value = source(step, seam) if source is not None else (False, None)
            if not served:
                value = live()
            values = step.attributes.get(VALUES_ATTRIBUTE)
            if not isinstance(values, list):
                values = step.attributes[VALUES_ATTRIBUTE] = []
            values.append([seam, value])
        except BaseException as exc:
            if event is not None:
                event.finish(exc, at=event.started_at)
            raise
        if event is not None:
            event.finish(at=event.started_at)
    finally:
        passthrough.reset(token)
    return value
