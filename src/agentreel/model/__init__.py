"""The frozen data model at the centre of agentreel (stdlib only, no I/O).

Sessions hold numbered steps; steps point at content-addressed payloads by
digest. ``FORMAT_VERSION`` is the version of this model as written to reel
files and databases.
"""

from ._plan import InvalidPlan, Plan, PlanStep
from ._session import DEFAULT_PROJECT, Session, SessionSummary
from ._step import Step, StepRow
from ._tree import StepTree, Totals, agent_totals, rollup, session_totals
from ._values import JSON, NO_USAGE, ErrorInfo, ForkRef, Status, StepKind, TokenUsage

#: Version of the recorded data format. Bump it with a migration in
#: ``agentreel.reelfile`` and the stores whenever a stored field changes meaning.
FORMAT_VERSION = 1

__all__ = [
    "DEFAULT_PROJECT",
    "FORMAT_VERSION",
    "JSON",
    "NO_USAGE",
    "ErrorInfo",
    "ForkRef",
    "InvalidPlan",
    "Plan",
    "PlanStep",
    "Session",
    "SessionSummary",
    "Status",
    "Step",
    "StepKind",
    "StepRow",
    "StepTree",
    "TokenUsage",
    "Totals",
    "agent_totals",
    "rollup",
    "session_totals",
]
