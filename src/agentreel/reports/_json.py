"""Reports as JSON documents: the shapes ``--json`` prints, documented in docs/reports.md.

The shapes are a public interface: keys may be added, none renamed or
removed; ``format`` names the document and its version. Times are ISO 8601 in
UTC, costs US dollars, token counts objects as in every other ``--json``.
"""

from __future__ import annotations

from typing import Any

from agentreel._units import error_json, tokens_json
from agentreel.detectors import FailureGroup, Finding

from ._model import (
    Bucket,
    Cause,
    Comparison,
    Divergence,
    FailingStep,
    ModelContext,
    PostmortemReport,
    RcaReport,
    SessionRef,
    StepRef,
)
from ._text import iso_utc

__all__ = [
    "POSTMORTEM_FORMAT",
    "RCA_FORMAT",
    "finding_json",
    "group_json",
    "postmortem_json",
    "rca_json",
]

RCA_FORMAT = "agentreel.rca/1"
POSTMORTEM_FORMAT = "agentreel.postmortem/1"


def _session(session: SessionRef) -> dict[str, Any]:
    return {
        "id": session.id,
        "name": session.name,
        "project": session.project,
        "status": session.status,
        "started_at": iso_utc(session.started_at),
        "ended_at": iso_utc(session.ended_at),
        "steps": session.steps,
        "errors": session.errors,
        "tokens": tokens_json(session.usage),
        "cost": session.cost,
        "error": error_json(session.error),
    }


def _step(step: StepRef | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "number": step.number,
        "kind": step.kind,
        "name": step.name,
        "status": step.status,
        "path": list(step.path),
        "model": step.model,
        "error": error_json(step.error),
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "detector": finding.detector,
        "kind": finding.kind,
        "severity": finding.severity,
        "session_id": finding.session_id,
        "steps": list(finding.steps),
        "message": finding.message,
        "evidence": dict(finding.evidence),
        "recorded_at": finding.recorded_at,
        "offline": finding.offline,
    }


def group_json(group: FailureGroup) -> dict[str, Any]:
    return {
        "fingerprint": group.fingerprint,
        "error_type": group.error_type,
        "message": group.message,
        "tool": group.tool,
        "step_path": group.step_path,
        "count": group.count,
        "sessions": list(group.sessions),
        "first_seen": iso_utc(group.first_seen),
        "last_seen": iso_utc(group.last_seen),
    }


def _failing(failing: FailingStep | None) -> dict[str, Any] | None:
    if failing is None:
        return None
    return {
        **(_step(failing.step) or {}),
        "input": failing.input,
        "propagated_by": [_step(s) for s in failing.propagated_by],
    }


def _context(context: ModelContext | None) -> dict[str, Any] | None:
    if context is None:
        return None
    return {
        "model": context.model,
        "messages": context.messages,
        "system_head": context.system_head,
        "last_user": context.last_user,
        "tool_results": [
            {"tool": r.tool, "call_id": r.call_id, "text": r.text, "is_error": r.is_error}
            for r in context.tool_results
        ],
        "tool_results_omitted": context.tool_results_omitted,
        "tools_offered": list(context.tools_offered),
    }


def _cause(cause: Cause | None) -> dict[str, Any] | None:
    if cause is None:
        return None
    call = (
        None
        if cause.match == "self"
        else {
            "id": cause.tool_call_id,
            "name": cause.tool_call_name,
            "arguments": cause.tool_call_arguments,
        }
    )
    return {
        "llm_step": _step(cause.llm_step),
        "match": cause.match,
        "tool_call": call,
        "context": _context(cause.context),
        "context_note": cause.context_note,
    }


def _divergence(divergence: Divergence | None) -> dict[str, Any] | None:
    if divergence is None:
        return None
    return {
        "status": divergence.status,
        "other_step": _step(divergence.other_step),
        "step": _step(divergence.step),
        "changes": list(divergence.changes),
    }


def _comparison(comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    return {
        "session": _session(comparison.other),
        "similarity": comparison.similarity,
        "counts": dict(comparison.counts),
        "first_divergence": _divergence(comparison.first),
        "first_structural_divergence": _divergence(comparison.first_structural),
    }


def rca_json(report: RcaReport) -> dict[str, Any]:
    """What ``agentreel rca --json`` prints."""
    return {
        "format": RCA_FORMAT,
        "generated_at": iso_utc(report.generated_at),
        "session": _session(report.session),
        "verdict": report.verdict,
        "headline": report.headline,
        "failing_step": _failing(report.failing_step),
        "other_failures": [_failing(s) for s in report.other_failures],
        "focus": _step(report.focus),
        "cause": _cause(report.cause),
        "cause_note": report.cause_note,
        "findings": [finding_json(f) for f in report.findings],
        "unchecked": list(report.unchecked),
        "recurring": [
            {**group_json(hit.group), "steps_here": list(hit.steps)} for hit in report.recurring
        ],
        "comparison": _comparison(report.comparison),
        "comparison_note": report.comparison_note,
        "next_commands": [{"command": c.command, "why": c.why} for c in report.next_commands],
    }


def _bucket(bucket: Bucket) -> dict[str, Any]:
    return {
        "key": bucket.key,
        "sessions": bucket.sessions,
        "calls": bucket.calls,
        "tokens": tokens_json(bucket.usage),
        "cost": bucket.cost,
    }


def postmortem_json(report: PostmortemReport) -> dict[str, Any]:
    """What ``agentreel postmortem --json`` prints."""
    return {
        "format": POSTMORTEM_FORMAT,
        "generated_at": iso_utc(report.generated_at),
        "period": {
            "since": iso_utc(report.since),
            "until": iso_utc(report.until),
            "project": report.project,
        },
        "sessions": {
            "total": report.sessions,
            "ok": report.ok,
            "failed": report.failed,
            "running": report.running,
            "success_rate": report.success_rate,
        },
        "tokens": tokens_json(report.usage),
        "cost": report.cost,
        "by_day": [_bucket(b) for b in report.by_day],
        "by_model": [_bucket(b) for b in report.by_model],
        "by_agent": [_bucket(b) for b in report.by_agent],
        "recurring": {
            "total": report.recurring_total,
            "groups": [
                {**group_json(r.group), "session_names": dict(r.sessions)} for r in report.recurring
            ],
        },
        "drift": [finding_json(f) for f in report.drift],
        "cost_anomalies": [finding_json(f) for f in report.cost_anomalies],
        "session_names": dict(report.session_names),
        "coverage": {
            "analyzed": report.analyzed,
            "not_analyzed": report.not_analyzed,
            "scanned": report.scanned,
            "not_scanned": report.not_scanned,
        },
        "guards": {
            "steps": report.guard_steps,
            "vetoes": [
                {
                    "session_id": v.session_id,
                    "session_name": v.session_name,
                    "step": v.step,
                    "kind": v.kind,
                    "name": v.name,
                    "reason": v.reason,
                }
                for v in report.vetoes
            ],
        },
        "unchecked": list(report.unchecked),
    }
