"""Silent cost spikes: a model call or a session far above the usual, and context bloat.

Spikes are judged with robust statistics (see ``_stats``), in tokens and in
USD, whichever shows it:

* ``step-cost``: a model call that stands out three ways: against the other
  calls of its session, against the project's recent calls of the same role
  (the same agent and call name; all recent calls when the role is new),
  and against the previous call of its own conversation (it jumped to at
  least twice that; a prompt that grew call by call is context bloat, not a
  spike). Calls under ``min_step_tokens`` never count.
* ``session-cost``: the session's model calls are dearer or bigger from the
  start: the median, over its conversations, of their first call (system
  prompt, brief, tools, attachments, model price) against the same figure
  of the project's recent sessions, which must also exceed 90% of the
  project's recent calls (a project that mixes cheap and dear models is not
  spiking when it uses the dear one), with the session's total at least
  ``spike_factor`` times the usual. A session that is long, or whose
  conversations grow, is not a spike for that: growth is context bloat's to
  judge, and a long run of ordinary calls is just a long run. Calls already
  reported as spikes or bloat are left out.
* ``context-bloat``: a conversation whose prompt grows by
  ``bloat_tokens_per_call`` or more per call (median) for at least
  ``bloat_min_calls`` calls, up to ``bloat_min_prompt`` tokens or more.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Callable, Sequence

from ._baseline import Call, opening
from ._context import Context, steps_text
from ._findings import COST_SPIKE
from ._stats import Spread, spread

__all__ = ["detect_bloat", "detect_session_cost", "detect_step_cost"]

#: A call must be at least this multiple of the previous call of its conversation.
_JUMP = 2.0
#: A session's cost per step must be this multiple of the usual to be more than long.
_PER_STEP = 2.0
#: Samples a role needs before it is a baseline of its own.
_MIN_ROLE = 3
#: Calls the project needs before they are a baseline.
_MIN_PROJECT = 10
#: The share of the project's calls a session's typical call must cost more than.
_USUAL_CALLS = 0.9

_Metric = Callable[[Call], float | None]
#: (name, of a call, index in a remembered (tokens, cost) pair)
_METRICS: tuple[tuple[str, _Metric, int], ...] = (
    ("tokens", lambda c: float(c.tokens), 0),
    ("cost", lambda c: c.cost, 1),
)


def _others_median(ordered: Sequence[float], value: float) -> float:
    """The median of ``ordered`` without one occurrence of ``value``."""
    index = bisect.bisect_left(ordered, value)
    rest = len(ordered) - 1
    if rest <= 0:
        return 0.0

    def at(i: int) -> float:
        return ordered[i if i < index else i + 1]

    middle = rest // 2
    return at(middle) if rest % 2 else (at(middle - 1) + at(middle)) / 2


def bloated_threads(ctx: Context) -> dict[int | None, list[Call]]:
    """Conversations whose prompt keeps growing fast (see the module docstring)."""
    return ctx.once("bloated-threads", lambda: _bloated(ctx))


def _bloated(ctx: Context) -> dict[int | None, list[Call]]:
    config = ctx.config
    threads: dict[int | None, list[Call]] = {}
    for call in ctx.profile.calls:
        threads.setdefault(call.thread, []).append(call)
    found: dict[int | None, list[Call]] = {}
    for thread, calls in threads.items():
        if len(calls) < config.bloat_min_calls:
            continue
        growth = [b.prompt - a.prompt for a, b in itertools.pairwise(calls)]
        typical = spread([float(g) for g in growth])
        peak = max(c.prompt for c in calls)
        if (
            typical is not None
            and typical.median >= config.bloat_tokens_per_call
            and peak >= config.bloat_min_prompt
        ):
            found[thread] = calls
    return found


def detect_bloat(ctx: Context) -> None:
    for calls in bloated_threads(ctx).values():
        numbers = [c.number for c in calls]
        first, last = calls[0].prompt, max(c.prompt for c in calls)
        per_call = (last - first) / max(len(calls) - 1, 1)
        ctx.add(
            COST_SPIKE,
            "context-bloat",
            "warning",
            numbers,
            f"{steps_text(numbers)}: the prompt grew from {first:,} to {last:,} tokens over "
            f"{len(calls)} model calls (about {per_call:,.0f} per call)",
            first_prompt=first,
            last_prompt=last,
            calls=len(calls),
            tokens_per_call=round(per_call),
        )


def _baseline(ctx: Context, unit: str, at: int, role: str) -> Spread | None:
    """The project's recent calls of ``role``, or all its recent calls if the role is new."""
    return ctx.once(f"baseline:{unit}:{role}", lambda: _read_baseline(ctx, at, role))


def _read_baseline(ctx: Context, at: int, role: str) -> Spread | None:
    profiles = ctx.history_profiles
    mine = [v for p in profiles for u in p.by_role.get(role, ()) if (v := u[at]) is not None]
    if len(mine) >= _MIN_ROLE:
        return spread(mine)
    everything = [v for p in profiles for u in p.used if (v := u[at]) is not None]
    return spread(everything) if len(everything) >= _MIN_PROJECT else None


def detect_step_cost(ctx: Context) -> list[Call]:
    """Report the spiking calls; return them, for the session check."""
    config = ctx.config
    calls = ctx.profile.calls
    bloated = {c.number for cs in bloated_threads(ctx).values() for c in cs}
    previous: dict[int, Call] = {}
    last_in: dict[int | None, Call] = {}
    for call in calls:
        if call.thread in last_in:
            previous[call.number] = last_in[call.thread]
        last_in[call.thread] = call
    spikes: dict[int, dict[str, dict[str, float | None]]] = {}
    for name, metric, at in _METRICS:
        values = [v for c in calls if (v := metric(c)) is not None]
        if len(values) < 2:
            continue
        ordered = sorted(values)
        for call in calls:
            value = metric(call)
            if value is None or call.tokens < config.min_step_tokens or call.number in bloated:
                continue
            usual = _others_median(ordered, value)
            if usual > 0 and value < config.spike_factor * usual:
                continue
            before = previous.get(call.number)
            prior = metric(before) if before is not None else None
            if prior is not None and value < _JUMP * prior:
                continue
            rest = list(values)
            rest.remove(value)
            mine = spread(rest)
            if mine is None or not mine.is_spike(
                value, factor=config.spike_factor, z=config.spike_z
            ):
                continue
            base = _baseline(ctx, name, at, call.role)  # last: reading the history costs
            if base is not None and not base.is_spike(
                value, factor=config.spike_factor, z=config.spike_z
            ):
                continue
            spikes.setdefault(call.number, {})[name] = {
                "value": value,
                "session_median": mine.median,
                "project_median": base.median if base is not None else None,
            }
    by_number = {c.number: c for c in calls}
    found: list[Call] = []
    for number in sorted(spikes):
        call, figures = by_number[number], spikes[number]
        main = figures.get("cost") or figures["tokens"]
        usual = main["session_median"] or 0.0
        ratio = (main["value"] or 0.0) / usual if usual else None
        unit = "cost" if "cost" in figures else "tokens"
        shown = (
            f"${call.cost:.4f}"
            if unit == "cost" and call.cost is not None
            else f"{call.tokens:,} tokens"
        )
        ctx.add(
            COST_SPIKE,
            "step-cost",
            "warning",
            (number,),
            f"step {number}: one model call used {shown}"
            + (f", {ratio:.0f}× the session's usual" if ratio else "")
            + (f" ({call.tokens:,} tokens)" if unit == "cost" else ""),
            tokens=call.tokens,
            prompt_tokens=call.prompt,
            cost=call.cost,
            role=call.role,
            measures=sorted(figures),
            figures=figures,
        )
        found.append(call)
    return found


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def detect_session_cost(ctx: Context, spikes: Sequence[Call]) -> None:
    config = ctx.config
    history = [p for p in ctx.history_profiles if p.used]
    if len(history) < config.min_baseline_sessions:
        ctx.note(
            COST_SPIKE,
            f"only {len(history)} earlier session(s) with model calls in project "
            f"{ctx.view.session.project!r} (need {config.min_baseline_sessions}); the "
            "session's cost was not compared with a baseline",
        )
        return
    # Calls that are already reported (spikes, bloated conversations) must not
    # make the rest of the session look expensive too.
    skip = {c.number for c in spikes}
    skip.update(c.number for calls in bloated_threads(ctx).values() for c in calls)
    for unit, metric, at in _METRICS:
        mine = opening(ctx.profile.calls, metric, skip)
        per_session = [v for p in history if p.opening and (v := p.opening[at]) is not None]
        usual = spread(per_session)
        if mine is None or usual is None or len(per_session) < config.min_baseline_sessions:
            continue
        if not usual.is_spike(mine, factor=config.spike_factor, z=config.spike_z):
            continue
        # A project that mixes cheap and dear models has sessions of each kind;
        # their medians alone would make every dear one a spike. The session's
        # openings must also be dearer than nearly all of the project's calls.
        calls = [v for p in history for u in p.used if (v := u[at]) is not None]
        if mine <= _quantile(calls, _USUAL_CALLS):
            continue
        total = sum(v for c in ctx.profile.calls if (v := metric(c)) is not None)
        totals = [sum(v for u in p.used if (v := u[at]) is not None) for p in history]
        if total < config.spike_factor * statistics.median(totals):
            continue
        _session_finding(ctx, unit, mine, usual, total, statistics.median(totals))
        return


def _session_finding(
    ctx: Context, unit: str, mine: float, usual: Spread, total: float, total_median: float
) -> None:
    if unit == "cost":
        each, typical, shown = f"${mine:.4f}", f"${usual.median:.4f}", f"${total:.4f}"
    else:
        each, typical = f"{mine:,.0f} tokens", f"{usual.median:,.0f} tokens"
        shown = f"{total:,.0f} tokens"
    ratio = f", {mine / usual.median:.0f}× the project's usual {typical}" if usual.median else ""
    ctx.add(
        COST_SPIKE,
        "session-cost",
        "warning",
        (),
        f"the session's conversations open with model calls of {each} (median){ratio}; "
        f"{shown} in all, against the {usual.size} most recent sessions of the project",
        unit="usd" if unit == "cost" else "tokens",
        opening_call=mine,
        baseline_opening_call=usual.median,
        total=total,
        baseline_total=total_median,
        baseline_sessions=usual.size,
    )
