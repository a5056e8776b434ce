"""Sessions: one recorded agent run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ._values import JSON, NO_USAGE, ErrorInfo, ForkRef, Status, TokenUsage

DEFAULT_PROJECT = "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """One recorded agent run.

    ``id`` is 32 hex digits, unique per session. ``trace_id`` is the
    OpenTelemetry trace the session's spans belong to: the session's own id,
    unless the session joined a host application's trace, in which case it is
    that trace's id and ``parent_span_id`` is the host span it runs under.
    Times are nanoseconds since the Unix epoch.
    """

    id: str
    name: str
    project: str = DEFAULT_PROJECT
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, JSON] = field(default_factory=dict)
    status: Status = Status.RUNNING
    started_at: int
    ended_at: int | None = None
    error: ErrorInfo | None = None
    forked_from: ForkRef | None = None
    parent_span_id: str | None = None
    trace_id: str | None = None

    @property
    def otel_trace_id(self) -> str:
        return self.trace_id or self.id

    @property
    def duration_ns(self) -> int | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionSummary:
    """A session with the totals a listing shows, computed by the store."""

    session: Session
    step_count: int = 0
    error_count: int = 0
    usage: TokenUsage = NO_USAGE
    cost: float = 0.0
    last_step_at: int | None = None
