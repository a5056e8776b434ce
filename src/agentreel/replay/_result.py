"""The outcome of a replay: counts, divergences, and the report the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass

from agentreel.model import JSON, ForkRef

from ._divergence import Divergence
from ._modes import ReplayMode

#: How many divergences a text report shows in full.
SHOWN_DIVERGENCES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayResult:
    """What a replay did.

    ``session_id`` is the recording; ``new_session_id`` the session the
    replayed run was recorded as (None when not recorded, or before its
    first step). ``served`` counts steps answered from the recording (or by
    a fork's edit), ``live`` model, tool and retrieval calls that ran for
    real. ``ok`` is True when nothing diverged. ``unconsumed`` lists the
    recorded model, tool and retrieval steps the run never asked for (only
    when the run was not told to go live: after a fork or a divergence in
    ``live-after-divergence`` mode the rest of the recording is left on
    purpose). ``notes`` are things worth knowing that are not divergences,
    such as a secret mask served back to the program.
    """

    session_id: str
    new_session_id: str | None
    mode: ReplayMode
    ok: bool
    served: int
    live: int
    divergences: tuple[Divergence, ...]
    unconsumed: tuple[int, ...]
    forked_from: ForkRef | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, JSON]:
        """The JSON shape (``agentreel replay --json``); see docs/replay.md."""
        return {
            "session_id": self.session_id,
            "new_session_id": self.new_session_id,
            "mode": self.mode.value,
            "ok": self.ok,
            "served": self.served,
            "live": self.live,
            "divergences": [d.to_dict() for d in self.divergences],
            "unconsumed": list(self.unconsumed),
            "forked_from": None
            if self.forked_from is None
            else {"session_id": self.forked_from.session_id, "step": self.forked_from.step},
            "notes": list(self.notes),
        }

    def render(self) -> str:
        """A human-readable report, several lines, no trailing newline."""
        verdict = (
            "matched the recording" if self.ok else _count(len(self.divergences), "divergence")
        )
        lines = [f"replay of session {self.session_id[:12]} ({self.mode.value}): {verdict}"]
        recorded_as = (
            f"recorded as session {self.new_session_id[:12]}"
            if self.new_session_id
            else "not recorded"
        )
        lines.append(
            f"  {_count(self.served, 'step')} served from the recording, "
            f"{_count(self.live, 'call')} run live; {recorded_as}"
        )
        if self.forked_from is not None:
            lines.append(
                f"  forked from session {self.forked_from.session_id[:12]} "
                f"at step {self.forked_from.step}"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        for i, divergence in enumerate(self.divergences[:SHOWN_DIVERGENCES], start=1):
            text = divergence.render().splitlines()
            lines.append("")
            lines.append(f"{i}. {text[0]}")
            lines.extend(f" {line}" for line in text[1:])
        hidden = len(self.divergences) - SHOWN_DIVERGENCES
        if hidden > 0:
            lines.append("")
            lines.append(f"... and {_count(hidden, 'more divergence')} (all of them: --json)")
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
