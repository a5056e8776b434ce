"""Interception: the seam through which replay answers a step instead of running it.

An interceptor sees every step start and end while it is installed. For a
step whose code can be skipped — a decorated tool, model or retrieval call, or
a model call captured at the HTTP layer — it may return an :class:`Answer`,
and the caller gets the answer's value (or exception) without the function
running. Everything the interceptor decides is recorded like any other step
data, so the run it produces can itself be inspected, replayed and diffed.

The interceptor is process-wide (on the recorder), not per context: a thread
started without the caller's context must not slip past replay and reach a
live model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._live import SessionHandle, StepHandle


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """A step answered without running its code: a value, or an exception to raise."""

    output: Any = None
    exception: BaseException | None = None
    #: Run the step's code after all, with these arguments (by parameter name)
    #: in place of the caller's: a replay fork that edits a step's input. The
    #: HTTP integration merges them into the request body instead.
    arguments: Mapping[str, Any] | None = None
    #: What answered, recorded on the step as the ``agentreel.answered_by`` attribute.
    source: str = "replay"


class Interceptor(Protocol):
    """What replay (and anything else that answers steps) implements."""

    def step_started(self, step: StepHandle) -> Answer | None:
        """Called when any step starts, after its number, parent and input are set.

        Return an :class:`Answer` to serve the step, or ``None`` to run it.
        Raising an :class:`~agentreel.errors.AgentreelError` stops the step's
        caller with that error (a strict replay's divergence does this); any
        other exception is a bug in the interceptor, contained and counted.
        """

    def step_finished(self, step: StepHandle) -> None:
        """Called when any step ends. Must not raise."""


class Hooks(Interceptor, Protocol):
    """The hook manager as the recorder sees it (``agentreel.hooks`` implements it).

    Called after the interceptor: a step replay answered is not decided again.
    ``active`` is false while nothing is registered, so the recorder skips
    every call.
    """

    active: bool

    def session_started(self, session: SessionHandle) -> None:
        """A session started. Must not raise."""

    def session_finished(self, session: SessionHandle) -> None:
        """A session ended. Must not raise."""
