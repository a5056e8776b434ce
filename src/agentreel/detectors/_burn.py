"""Burn rate: will the project's daily budget run out at the current rate of spend?

At the end of the analysed session ("now"), the project's spend over the
last ``burn_window_s`` (sessions that started in it, this one included) is
projected over 24 hours. A projection above ``daily_budget_usd`` is a
warning, with the hours left before the budget is gone at that rate; spend
over the last 24 hours already at the budget is an error. Both are trailing
windows rather than calendar days, so the result does not depend on time
zones or on the hour the analysis runs.
"""

from __future__ import annotations

from agentreel.model import SessionSummary
from agentreel.storage import SessionFilter

from ._context import Context
from ._findings import COST_SPIKE

__all__ = ["detect_burn_rate"]

_DAY_S = 86_400.0
_NS = 1_000_000_000


def _spend(ctx: Context, start: int, now: int) -> float:
    """USD spent by the project's sessions that started in ``[start, now]``."""
    if ctx.timeline is not None:
        known = ctx.timeline.spend(start, now)
        if known is not None:
            return known
    history = ctx.history
    mine = ctx.summary
    # The history is the newest sessions before this one, up to a limit. If
    # it reaches back past ``start`` (or holds everything there is), it has
    # every session of the window; otherwise ask the store for the window.
    complete = len(history) < ctx.config.baseline_sessions or (
        history and history[-1].session.started_at < start
    )
    if complete:
        sessions: list[SessionSummary] = [h for h in history if h.session.started_at >= start]
        sessions.append(mine)
    else:
        sessions = ctx.view.store.list_sessions(
            SessionFilter(project=ctx.view.session.project, since=start, until=now + 1, limit=None)
        )
        if all(s.session.id != mine.session.id for s in sessions):
            sessions.append(mine)
    return sum(s.cost for s in sessions)


def detect_burn_rate(ctx: Context) -> None:
    config = ctx.config
    budget = config.daily_budget_usd
    if budget is None:
        ctx.note(
            COST_SPIKE,
            "no daily budget is set (DetectorConfig.daily_budget_usd), so the burn rate "
            "was not projected",
        )
        return
    summary = ctx.summary
    session = ctx.view.session
    now = session.ended_at or summary.last_step_at or session.started_at
    window = config.burn_window_s
    recent = _spend(ctx, now - int(window * _NS), now)
    day = recent if window >= _DAY_S else _spend(ctx, now - int(_DAY_S * _NS), now)
    projected = recent / window * _DAY_S
    figures = {
        "budget_usd": budget,
        "spent_24h_usd": round(day, 6),
        "spent_window_usd": round(recent, 6),
        "window_s": window,
        "projected_24h_usd": round(projected, 6),
    }
    if day >= budget:
        ctx.add(
            COST_SPIKE,
            "burn-rate",
            "error",
            (),
            f"the project has spent ${day:,.2f} in the last 24 hours: the daily budget of "
            f"${budget:,.2f} is gone",
            **figures,
        )
    elif projected > budget:
        per_hour = recent / window * 3600
        hours = (budget - day) / per_hour
        ctx.add(
            COST_SPIKE,
            "burn-rate",
            "warning",
            (),
            f"at ${per_hour:,.2f} an hour (the rate of the last {window / 3600:g} h), the daily "
            f"budget of ${budget:,.2f} runs out in {hours:.1f} hours "
            f"(${projected:,.2f} projected over 24 h)",
            hours_left=round(hours, 2),
            **figures,
        )
