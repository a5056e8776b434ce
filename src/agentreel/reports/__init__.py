"""Root-cause reports and postmortems, built from stored sessions and the detectors.

``build_rca(store, id)`` explains one failed or flagged session: the failing
step, the model call that asked for it and what that model saw, the
detectors' findings, the recurring failures it is part of, where it parted
from the most similar successful session, and what to run next.
``build_postmortem(store, since=...)`` sums up a period: sessions and success
rate, cost and tokens by day, model and agent, recurring failures, drift,
cost anomalies and guard vetoes. Each report renders as Markdown, as one
self-contained HTML page (every piece of trace text escaped, charts as inline
SVG, no JavaScript) and as JSON. docs/reports.md describes them.
"""

from ._html import postmortem_html, rca_html
from ._json import POSTMORTEM_FORMAT, RCA_FORMAT, postmortem_json, rca_json
from ._markdown import postmortem_markdown, rca_markdown
from ._model import (
    Bucket,
    Cause,
    CauseMatch,
    Comparison,
    Divergence,
    FailingStep,
    ModelContext,
    NextCommand,
    PostmortemReport,
    RcaReport,
    RecurrenceHit,
    RecurringFailure,
    SessionRef,
    StepRef,
    ToolResultSeen,
    Verdict,
    Veto,
)
from ._plan_render import PLAN_FORMAT, plan_json, plan_markdown
from ._plan_report import (
    AddedStep,
    PlanCheck,
    PlannedOutcome,
    PlanReport,
    Reordered,
    build_plan_report,
)
from ._postmortem import ANALYSIS_LIMIT, SCAN_LIMIT, build_postmortem
from ._rca import build_rca

__all__ = [
    "ANALYSIS_LIMIT",
    "PLAN_FORMAT",
    "POSTMORTEM_FORMAT",
    "RCA_FORMAT",
    "SCAN_LIMIT",
    "AddedStep",
    "Bucket",
    "Cause",
    "CauseMatch",
    "Comparison",
    "Divergence",
    "FailingStep",
    "ModelContext",
    "NextCommand",
    "PlanCheck",
    "PlanReport",
    "PlannedOutcome",
    "PostmortemReport",
    "RcaReport",
    "RecurrenceHit",
    "RecurringFailure",
    "Reordered",
    "SessionRef",
    "StepRef",
    "ToolResultSeen",
    "Verdict",
    "Veto",
    "build_plan_report",
    "build_postmortem",
    "build_rca",
    "plan_json",
    "plan_markdown",
    "postmortem_html",
    "postmortem_json",
    "postmortem_markdown",
    "rca_html",
    "rca_json",
    "rca_markdown",
]
