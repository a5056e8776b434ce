"""What the detectors report: findings, and per session what could not be checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agentreel.model import JSON

__all__ = [
    "CONTEXT_DRIFT",
    "COST_SPIKE",
    "DETECTORS",
    "KINDS",
    "LOOP",
    "RECURRING_FAILURE",
    "SEVERITIES",
    "TOOL_MISUSE",
    "Finding",
    "SessionReport",
]

CONTEXT_DRIFT = "context-drift"
TOOL_MISUSE = "tool-misuse"
LOOP = "loop"
COST_SPIKE = "cost-spike"
RECURRING_FAILURE = "recurring-failure"

#: Every detector, in the order ``analyze`` runs them.
DETECTORS: tuple[str, ...] = (CONTEXT_DRIFT, TOOL_MISUSE, LOOP, COST_SPIKE, RECURRING_FAILURE)

#: The kinds of finding each detector reports.
KINDS: Mapping[str, tuple[str, ...]] = {
    CONTEXT_DRIFT: (
        "instruction-dropped",
        "instruction-altered",
        "rule-violated",
        "plan-deviation",
    ),
    TOOL_MISUSE: (
        "unknown-tool",
        "schema-violation",
        "retried-unchanged",
        "error-streak",
        "false-success",
    ),
    LOOP: ("repeated-step", "cycle"),
    COST_SPIKE: ("session-cost", "step-cost", "context-bloat", "burn-rate"),
    RECURRING_FAILURE: ("recurring",),
}

SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One failure mode found in a session.

    ``steps`` are step numbers as ``agentreel show`` prints them, the most
    telling first where order matters (the call that broke a rule, then the
    tool step that carried it out); session-wide findings (``session-cost``,
    ``burn-rate``) have none. ``evidence`` holds the figures and excerpts the
    message summarises, JSON-safe.

    ``recorded_at`` is the step on which a ``DetectorGuard`` recorded the
    finding while the session ran (``None``: not recorded online);
    ``offline`` is False for a recorded finding that this analysis did not
    make again (the guard ran with other settings, or saw a shorter session).
    """

    detector: str
    kind: str
    severity: str
    session_id: str
    steps: tuple[int, ...] = ()
    message: str
    evidence: Mapping[str, JSON] = field(default_factory=dict)
    recorded_at: int | None = None
    offline: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionReport:
    """Everything the detectors found in one session.

    ``findings`` are ordered by their first step (session-wide ones first),
    then detector. ``unchecked`` says, one line each, what could not be
    checked and why (a model call recorded without its input, no baseline
    of earlier sessions yet, ...): an empty report with a long ``unchecked``
    is not a clean bill of health.
    """

    session_id: str
    findings: tuple[Finding, ...] = ()
    unchecked: tuple[str, ...] = ()

    def of(self, detector: str, kind: str | None = None) -> tuple[Finding, ...]:
        """The findings of one detector (and kind)."""
        return tuple(
            f for f in self.findings if f.detector == detector and (kind is None or f.kind == kind)
        )
