"""Replay modes: what happens to a call the recording has no answer for."""

from __future__ import annotations

from enum import StrEnum

from agentreel.errors import ConfigurationError

#: Step kinds whose code a replay skips, serving the recorded answer instead.
#: Every other kind (agent, plan, event, ...) runs live and is matched only so
#: that the steps inside it can be.
SERVED_KINDS = frozenset({"llm", "tool", "retrieval"})


class ReplayMode(StrEnum):
    """What a replay does with a call the recording does not have.

    ``strict``: recorded answers only; such a call stops the run with
    :class:`~agentreel.replay.ReplayDivergence` before it can reach a model or
    tool. ``new-steps``: serve what matches, run the others live and record
    them. ``live-after-divergence``: serve until the first such call, then run
    everything live.
    """

    STRICT = "strict"
    NEW_STEPS = "new-steps"
    LIVE_AFTER_DIVERGENCE = "live-after-divergence"


def parse_mode(value: ReplayMode | str) -> ReplayMode:
    try:
        return ReplayMode(value)
    except ValueError:
        choices = ", ".join(m.value for m in ReplayMode)
        raise ConfigurationError(f"unknown replay mode {value!r}; use one of {choices}") from None
