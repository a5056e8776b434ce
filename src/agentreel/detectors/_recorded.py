"""Findings recorded while a session ran (by a DetectorGuard), read back and merged.

A :class:`~agentreel.guards.DetectorGuard` writes each finding it makes onto
the session's next model or tool call, under the step attribute
``agentreel.findings`` (a list of JSON objects, :func:`finding_record`).
:func:`merge_recorded` folds them into an offline analysis: a recorded
finding the analysis made again is one finding, marked with the step it was
recorded at; one it did not make again (the guard ran with other rules or
schemas) is kept as recorded. Attributes come from the store, and sessions
may come from anywhere: what does not read as a finding is skipped, and said.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from agentreel.hooks import FINDINGS
from agentreel.model import Step

from ._findings import DETECTORS, KINDS, SEVERITIES, Finding

__all__ = ["FINDINGS", "finding_key", "finding_record", "merge_recorded", "read_recorded"]

#: What one recorded finding may hold at most: a list bigger than this on one
#: step is foreign data or a bug, and the rest is not read.
_MAX_PER_STEP = 1000


def finding_key(finding: Finding) -> tuple[str, str, tuple[int, ...]]:
    """What makes two findings the same: detector, kind and first step.

    A loop found again one step longer, or a context that grew since, is the
    same finding.
    """
    return finding.detector, finding.kind, finding.steps[:1]


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as stored in ``agentreel.findings`` (the session is the step's own)."""
    return {
        "detector": finding.detector,
        "kind": finding.kind,
        "severity": finding.severity,
        "steps": list(finding.steps),
        "message": finding.message,
        "evidence": dict(finding.evidence),
    }


def _parse(item: Any, session_id: str, at: int) -> Finding | None:
    if not isinstance(item, Mapping):
        return None
    detector, kind = item.get("detector"), item.get("kind")
    severity, message = item.get("severity"), item.get("message")
    steps, evidence = item.get("steps", []), item.get("evidence", {})
    if (
        detector not in DETECTORS
        or kind not in KINDS[detector]
        or severity not in SEVERITIES
        or not isinstance(message, str)
        or not isinstance(steps, list)
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in steps)
        or not isinstance(evidence, Mapping)
    ):
        return None
    return Finding(
        detector=detector,
        kind=kind,
        severity=severity,
        session_id=session_id,
        steps=tuple(steps),
        message=message,
        evidence=dict(evidence),
        recorded_at=at,
        offline=False,
    )


def read_recorded(
    steps: Iterable[Step], session_id: str, detectors: Sequence[str]
) -> tuple[list[Finding], list[str]]:
    """The findings recorded on ``steps`` (of ``detectors``), and what could not be read."""
    found: list[Finding] = []
    bad: list[int] = []
    for step in steps:
        attributes = step.attributes
        raw = attributes.get(FINDINGS) if isinstance(attributes, Mapping) else None
        if raw is None:
            continue
        items = raw if isinstance(raw, list) else [raw]
        if len(items) > _MAX_PER_STEP:
            items = items[:_MAX_PER_STEP]
            bad.append(step.number)
        for item in items:
            finding = _parse(item, session_id, step.number)
            if finding is None:
                bad.append(step.number)
            elif finding.detector in detectors:
                found.append(finding)
    notes = []
    if bad:
        where = ", ".join(str(n) for n in sorted(set(bad))[:10])
        more = "" if len(set(bad)) <= 10 else f" and {len(set(bad)) - 10} more"
        notes.append(
            f"{len(bad)} entries of {FINDINGS} (recorded while the session ran) on "
            f"step(s) {where}{more} are not findings this version can read; they were skipped"
        )
    return found, notes


def merge_recorded(offline: Sequence[Finding], recorded: Iterable[Finding]) -> list[Finding]:
    """``offline`` findings with ``recorded`` ones folded in, each finding once.

    An offline finding also recorded during the run keeps its (fuller)
    offline form and gains ``recorded_at``; a recorded one the offline
    analysis did not make is added as recorded (``offline=False``).
    """
    merged = list(offline)
    index = {finding_key(f): i for i, f in enumerate(merged)}
    for finding in sorted(recorded, key=lambda f: f.recorded_at or 0):
        key = finding_key(finding)
        at = index.get(key)
        if at is None:
            index[key] = len(merged)
            merged.append(finding)
        elif merged[at].recorded_at is None:
            merged[at] = replace(merged[at], recorded_at=finding.recorded_at)
    return merged
