"""The plan-vs-execution report as Markdown and as JSON (``agentreel plan ID [--json]``)."""

from __future__ import annotations

from typing import Any

from agentreel._units import short_id

from ._mdescape import md_table, md_text
from ._plan_report import PlanCheck, PlannedOutcome, PlanReport

__all__ = ["PLAN_FORMAT", "plan_json", "plan_markdown"]

PLAN_FORMAT = "agentreel.plan/1"

_DECIDED = {"allow": "approved", "replace": "edited", "veto": "rejected"}


def _decision(check: PlanCheck) -> str:
    if check.decision is None:
        return "no hook decided on it"
    verb = _DECIDED.get(check.decision, check.decision)
    line = f"{verb} by {md_text(check.decided_by or 'a hook')}"
    return f"{line}: {md_text(check.reason)}" if check.reason else line


def _steps(outcome: PlannedOutcome) -> str:
    return ", ".join(str(n) for n in outcome.steps) or "-"


def _who(outcome: PlannedOutcome) -> str:
    return f" ({md_text(outcome.agent)})" if outcome.agent else ""


def _check_lines(check: PlanCheck) -> list[str]:
    lines = [f"## Plan at step {check.number} ({md_text(check.name)})", ""]
    if check.problem is not None:
        return [*lines, md_text(check.problem), ""]
    count = len(check.planned)
    lines.append(f"{count} planned step{'s' if count != 1 else ''}, {_decision(check)}.")
    if check.goal:
        lines.append(f"Goal: {md_text(check.goal)}")
    lines.append("")
    rows = [
        [
            md_text(p.id),
            md_text(p.agent or ""),
            md_text(p.description),
            ", ".join(md_text(d) for d in p.depends_on),
            p.status,
            _steps(p),
        ]
        for p in check.planned
    ]
    lines += md_table(["Plan step", "Agent", "Description", "After", "Status", "Steps"], rows)
    lines.append("")
    if check.followed:
        return [*lines, "The execution followed the plan.", ""]
    sections: list[tuple[str, list[str]]] = [
        ("Skipped", [f"- {md_text(p.id)}{_who(p)}: no step carried it out" for p in check.skipped]),
        (
            "Added",
            [
                f"- step {a.number} ({a.kind} {md_text(a.name)}, {a.status}) carries out "
                f"{md_text(a.id)}, which the plan lacks"
                for a in check.added
            ],
        ),
        (
            "Reordered",
            [
                f"- {md_text(r.id)} (step {r.number}) {md_text('; '.join(r.reasons))}"
                for r in check.reordered
            ],
        ),
        (
            "Failed",
            [
                f"- {md_text(p.id)}{_who(p)} at step {p.steps[-1]}: {md_text(p.error or 'error')}"
                for p in check.failed
            ],
        ),
    ]
    for title, items in sections:
        lines += [f"### {title}", "", *(items or ["None."]), ""]
    return lines


def plan_markdown(report: PlanReport) -> str:
    """The report as Markdown; every piece of trace text escaped."""
    session = report.session
    lines = [
        f"# Plan vs execution: {md_text(session.name)} ({short_id(session.id)}, {session.status})",
        "",
    ]
    if not report.plans:
        lines += ["The session recorded no plan (no `plan` step).", ""]
    for check in report.plans:
        lines += _check_lines(check)
    return "\n".join(lines)


def _outcome(p: PlannedOutcome) -> dict[str, Any]:
    return {
        "id": p.id,
        "description": p.description,
        "agent": p.agent,
        "depends_on": list(p.depends_on),
        "status": p.status,
        "steps": list(p.steps),
        "error": p.error,
    }


def _check(check: PlanCheck) -> dict[str, Any]:
    return {
        "step": check.number,
        "name": check.name,
        "decision": None
        if check.decision is None
        else {"action": check.decision, "by": check.decided_by, "reason": check.reason},
        "goal": check.goal,
        "problem": check.problem,
        "followed": check.followed,
        "planned": [_outcome(p) for p in check.planned],
        "skipped": [p.id for p in check.skipped],
        "added": [
            {"id": a.id, "step": a.number, "kind": a.kind, "name": a.name, "status": a.status}
            for a in check.added
        ],
        "reordered": [
            {"id": r.id, "step": r.number, "reasons": list(r.reasons)} for r in check.reordered
        ],
        "failed": [{"id": p.id, "step": p.steps[-1], "error": p.error} for p in check.failed],
    }


def plan_json(report: PlanReport) -> dict[str, Any]:
    """The report as a JSON document (``format``: ``agentreel.plan/1``)."""
    session = report.session
    return {
        "format": PLAN_FORMAT,
        "session": {"id": session.id, "name": session.name, "status": str(session.status)},
        "plans": [_check(c) for c in report.plans],
    }
