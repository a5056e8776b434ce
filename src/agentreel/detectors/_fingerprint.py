"""Fingerprints of failures, so that the same failure groups across steps and sessions.

Like an error tracker, a failure is identified by what failed and where,
not by the particulars of one occurrence: its error type, its message with
the values that change from run to run masked (numbers, hex ids, paths,
URLs, quoted values), the tool that failed, and its step path. The step
path is the kinds and names of the step and its non-agent ancestors: the
agent that hit a failure is who called, not where it broke, and the same
bug hit by the investigator and later by the verifier is one bug.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import NamedTuple

from agentreel.errors import NotFound
from agentreel.model import Status, Step, StepKind
from agentreel.storage import Store

__all__ = [
    "FINGERPRINT_VERSION",
    "Failure",
    "failure_of",
    "fingerprint_failure",
    "normalise_message",
    "step_path",
]

#: Part of every fingerprint; bump it when what a fingerprint covers changes.
FINGERPRINT_VERSION = "agentreel.failure/1"
_MAX_MESSAGE = 400
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"`<>]+", re.IGNORECASE), "<url>"),
    (re.compile(r"'[^'\n]{0,300}'"), "'<v>'"),
    (re.compile(r'"[^"\n]{0,300}"'), '"<v>"'),
    (re.compile(r"`[^`\n]{0,300}`"), "`<v>`"),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<id>",
    ),
    # Paths before ids and numbers, so that a path is one mask whatever it holds.
    (re.compile(r"(?:[A-Za-z]:)?(?:[\w.~-]*[/\\])+[\w.~-]+[/\\]?"), "<path>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE), "<hex>"),
    # Runs of 8+ hex digits with a digit among them (a word like "deadbeef" stays).
    (re.compile(r"\b(?=[0-9a-f]*[0-9])[0-9a-f]{8,}\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def normalise_message(message: str) -> str:
    """``message`` with run-specific values masked, for grouping."""
    text = message[: _MAX_MESSAGE * 4]
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text.strip()[:_MAX_MESSAGE]


def step_path(step: Step, ancestors: Iterable[Step]) -> str:
    """``kind:name`` of the non-agent ancestors (outermost first) and of the step itself."""
    parts = [f"{a.kind}:{a.name}" for a in ancestors if a.kind is not StepKind.AGENT]
    parts.reverse()
    parts.append(f"{step.kind}:{step.name}")
    return "/".join(parts)


class Failure(NamedTuple):
    """One failed step, fingerprinted (a NamedTuple of plain values: profiles keep many)."""

    fingerprint: str
    error_type: str
    message: str
    tool: str | None
    step_path: str
    session_id: str
    number: int
    name: str
    started_at: int


def failure_of(step: Step, ancestors: Iterable[Step]) -> Failure:
    """The fingerprinted failure of ``step`` (``ancestors`` innermost first)."""
    error = step.error
    error_type = error.type if error is not None else "(no error recorded)"
    message = normalise_message(error.message) if error is not None else ""
    tool = step.name if step.kind in (StepKind.TOOL, StepKind.RETRIEVAL) else None
    path = step_path(step, ancestors)
    key = "\0".join((FINGERPRINT_VERSION, error_type, message, tool or "", path))
    return Failure(
        fingerprint=hashlib.sha256(key.encode()).hexdigest()[:16],
        error_type=error_type,
        message=message,
        tool=tool,
        step_path=path,
        session_id=step.session_id,
        number=step.number,
        name=step.name,
        started_at=step.started_at,
    )


def _stored_ancestors(step: Step, store: Store) -> list[Step]:
    found: list[Step] = []
    seen = {step.number}
    number = step.parent_number
    while number is not None and number not in seen:
        seen.add(number)
        try:
            parent = store.get_step(step.session_id, number)
        except NotFound:
            break
        found.append(parent)
        number = parent.parent_number
    return found


def fingerprint_failure(step: Step, store: Store | None = None) -> str:
    """The fingerprint (16 hex digits) of a failed step.

    With ``store``, the step's ancestors are read from it for the step path;
    without, the path is the step alone, which is the same whenever the step
    sits directly under agents (the usual case for tool calls). A step with
    no recorded error is fingerprinted as ``"(no error recorded)"``.
    """
    ancestors = _stored_ancestors(step, store) if store is not None else []
    return failure_of(step, ancestors).fingerprint


def origins(steps: Iterable[Step], children: dict[int, tuple[Step, ...]]) -> list[Step]:
    """Failed steps that are not only passing on the error of a failed child."""
    found: list[Step] = []
    for step in steps:
        if step.status is not Status.ERROR:
            continue
        mine = (step.error.type, step.error.message) if step.error is not None else None
        passed_on = mine is not None and any(
            c.status is Status.ERROR
            and c.error is not None
            and (c.error.type, c.error.message) == mine
            for c in children.get(step.number, ())
        )
        if not passed_on:
            found.append(step)
    return found
