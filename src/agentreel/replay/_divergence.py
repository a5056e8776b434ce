"""Divergences: where a replayed run departs from its recording, as data and as text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import orjson

from agentreel.diff import FieldChange
from agentreel.model import JSON

DivergenceKind = Literal["mismatch", "unexpected-call", "run-ended-early", "run-went-further"]

#: How much of a value a text report shows before cutting it.
SHOWN_CHARS = 160
#: How many candidates a divergence lists.
MAX_CANDIDATES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A recorded step the live call could have matched, and why it did not.

    ``path`` is the first place the requests differ, when that is the reason.
    """

    step: int
    kind: str
    name: str
    reason: str
    path: str | None = None

    def to_dict(self) -> dict[str, JSON]:
        return {
            "step": self.step,
            "kind": self.kind,
            "name": self.name,
            "reason": self.reason,
            "path": self.path,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Divergence:
    """One place where the new run departed from the recording.

    ``kind``: ``mismatch`` (the recording has this call at this position, but
    asked differently: ``changes`` says how), ``unexpected-call`` (the
    recording has no such call here), ``run-went-further`` (the call came
    after the recording's last answer was used), ``run-ended-early`` (the run
    ended with recorded answers unused: ``unconsumed``).

    ``recorded_step`` is the recorded step concerned (for a mismatch, the
    nearest candidate; for an unexpected call, the step the recording had
    next at that place) and ``live_step`` the step's number in the new run.
    ``call_site`` is ``file:line`` of the user code that made the call.
    ``changes`` are paths into the request (``input.path``), recorded value
    before, new value after.
    """

    kind: DivergenceKind
    summary: str
    recorded_step: int | None = None
    live_step: int | None = None
    step_kind: str | None = None
    step_name: str | None = None
    call_site: str | None = None
    changes: tuple[FieldChange, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    unconsumed: tuple[int, ...] = ()
    next_steps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, JSON]:
        return {
            "kind": self.kind,
            "summary": self.summary,
            "recorded_step": self.recorded_step,
            "live_step": self.live_step,
            "step_kind": self.step_kind,
            "step_name": self.step_name,
            "call_site": self.call_site,
            "changes": [_change(c) for c in self.changes],
            "candidates": [c.to_dict() for c in self.candidates],
            "unconsumed": list(self.unconsumed),
            "next_steps": list(self.next_steps),
        }

    def render(self) -> str:
        """The report as text, several lines, no trailing newline."""
        lines = [self.heading(), f"  {self.summary}"]
        if self.call_site:
            lines.append(f"  called from {self.call_site}")
        if self.changes:
            lines.append("  what changed (recorded -> new):")
            for change in self.changes:
                lines.extend(f"    {line}" for line in _render_change(change))
        if self.unconsumed:
            lines.append(f"  recorded steps never reached: {_numbers(self.unconsumed)}")
        if self.candidates:
            lines.append("  nearest recorded candidates:")
            for c in self.candidates:
                lines.append(f"    step {c.step} ({c.kind} {c.name}): {c.reason}")
        if self.next_steps:
            lines.append("  what to do next:")
            lines.extend(f"    - {hint}" for hint in self.next_steps)
        return "\n".join(lines)

    def heading(self) -> str:
        """One line: the kind of divergence and the steps concerned."""
        what = f" ({self.step_kind} {self.step_name})" if self.step_kind else ""
        where = []
        if self.recorded_step is not None:
            where.append(f"recorded step {self.recorded_step}")
        if self.live_step is not None:
            where.append(f"new step {self.live_step}")
        if not where:
            return f"{self.kind}{what}"
        return f"{self.kind} at {', '.join(where)}{what}"


def _change(change: FieldChange) -> dict[str, JSON]:
    return {
        "path": change.path,
        "change": change.change,
        "before": change.before,
        "after": change.after,
        "text_diff": change.text_diff,
    }


def _render_change(change: FieldChange) -> list[str]:
    path = change.path or "(the whole request)"
    if change.text_diff:
        return [f"{path}:", *(f"  {line}" for line in change.text_diff.splitlines())]
    if change.change == "added":
        return [f"{path}: added {shown(change.after)}"]
    if change.change == "removed":
        return [f"{path}: removed (was {shown(change.before)})"]
    return [f"{path}: {shown(change.before)} -> {shown(change.after)}"]


def shown(value: JSON) -> str:
    """A JSON value as one short line."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def _numbers(numbers: tuple[int, ...]) -> str:
    text = ", ".join(map(str, numbers[:20]))
    return text + (f", ... ({len(numbers)} in all)" if len(numbers) > 20 else "")
