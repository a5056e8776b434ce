"""Plan deviation: agents (and tools) that ran although the plan did not name them.

A ``plan`` step's output lists the planned steps: a list, or an object with
``steps`` (or ``plan``, ``tasks``, ``subtasks``, ``actions``), whose items are
objects naming an ``agent`` (or ``assignee``, ``role``, ``worker``) and
optionally an ``id`` and a ``tool``, or plain text. The plan governs the
agents that run after it at the level of the agent that made it (the
planner's siblings), up to the next plan at that level. Deviations:

* an agent the plan does not name (by name; with plain-text items, an agent
  whose name no item mentions, when the items mention agents at all);
* an agent that says which planned step it carries out (a ``plan_step``
  attribute) naming a step the plan lacks, or one planned for another agent;
* when items name tools, a tool outside them;
* in a session that ended ok, planned agents that never ran.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from agentreel.model import JSON, Status, Step, StepKind

from ._context import Context
from ._findings import CONTEXT_DRIFT
from ._view import SessionView

__all__ = ["PlannedItem", "detect_plan_deviation", "read_plan"]

_LIST_KEYS = ("steps", "plan", "tasks", "subtasks", "actions")
_AGENT_KEYS = ("agent", "assignee", "role", "worker")
_TEXT_KEYS = ("task", "description", "goal", "title", "summary", "name")
_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedItem:
    id: str | None = None
    agent: str | None = None
    tool: str | None = None
    text: str = ""


def _str(value: JSON) -> str | None:
    return value if isinstance(value, str) and value else None


def _item(value: JSON) -> PlannedItem:
    if isinstance(value, str):
        return PlannedItem(text=value)
    if not isinstance(value, dict):
        return PlannedItem(text=str(value))
    agent = next((_str(value.get(k)) for k in _AGENT_KEYS if _str(value.get(k))), None)
    text = " ".join(s for k in _TEXT_KEYS if (s := _str(value.get(k))))
    raw_id = value.get("id", value.get("step_id"))
    return PlannedItem(
        id=str(raw_id) if isinstance(raw_id, str | int) else None,
        agent=agent,
        tool=_str(value.get("tool")),
        text=text,
    )


def read_plan(output: JSON) -> tuple[PlannedItem, ...] | None:
    """The items of a plan step's output, or None if it lists none."""
    if isinstance(output, str):
        try:
            output = orjson.loads(output)
        except orjson.JSONDecodeError:
            lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
            return tuple(PlannedItem(text=ln) for ln in lines) or None
    if isinstance(output, dict):
        output = next((output[k] for k in _LIST_KEYS if isinstance(output.get(k), list)), None)
    if not isinstance(output, list) or not output:
        return None
    return tuple(_item(v) for v in output)


def _words(text: str) -> str:
    return f" {_WORD.sub(' ', text.casefold()).strip()} "


def _scope(view: SessionView, plan: Step) -> tuple[int | None, int | None]:
    """(parent of the governed agents, number of the planner agent or None)."""
    owner = view.agent_of(plan)
    if owner is None:
        return view.thread(plan), None
    return view.thread(owner), owner.number


def _governed(view: SessionView, plans: Sequence[Step], index: int) -> list[Step]:
    plan = plans[index]
    parent, owner = _scope(view, plan)
    later = [p for p in plans[index + 1 :] if _scope(view, p)[0] == parent]
    end = later[0].number if later else None
    return [
        s
        for s in view.steps
        if s.kind is StepKind.AGENT
        and s.number > plan.number
        and (end is None or s.number < end)
        and view.thread(s) == parent
        and s.number != owner
    ]


def _check_agents(
    ctx: Context, plan: Step, items: tuple[PlannedItem, ...], agents: list[Step]
) -> set[str]:
    named = {i.agent for i in items if i.agent}
    by_id = {i.id: i for i in items if i.id}
    texts = [_words(f"{i.agent or ''} {i.text}") for i in items]
    mentions = {a.name for a in agents if any(_words(a.name) in t for t in texts)}
    if not agents:
        return set()
    if not named and not mentions:
        ctx.note(CONTEXT_DRIFT, f"the plan of step {plan.number} is free text that names no agent")
        return set()
    ran: set[str] = set()
    for agent in agents:
        ran.add(agent.name)
        claimed = agent.attributes.get("plan_step") if isinstance(agent.attributes, dict) else None
        planned = by_id.get(str(claimed)) if isinstance(claimed, str | int) else None
        problem = None
        if (named and agent.name not in named) or (not named and agent.name not in mentions):
            problem = f"agent {agent.name!r} is not in the plan of step {plan.number}"
        elif claimed is not None and by_id and planned is None:
            problem = f"agent {agent.name!r} claims plan step {claimed!r}, which the plan lacks"
        elif planned is not None and planned.agent and planned.agent != agent.name:
            problem = (
                f"agent {agent.name!r} carries out plan step {claimed!r}, "
                f"planned for {planned.agent!r}"
            )
        if problem is not None:
            ctx.add(
                CONTEXT_DRIFT,
                "plan-deviation",
                "warning",
                (agent.number, plan.number),
                f"step {agent.number}: {problem}",
                plan_step=plan.number,
                agent=agent.name,
                planned=sorted(named) if named else [i.text for i in items][:10],
            )
    return ran


def _check_tools(ctx: Context, plan: Step, items: tuple[PlannedItem, ...], end: int | None) -> None:
    tools = {i.tool for i in items if i.tool}
    if not tools:
        return
    for step in ctx.view.steps:
        if step.kind is not StepKind.TOOL or step.number <= plan.number:
            continue
        if end is not None and step.number >= end:
            break
        if step.name not in tools:
            ctx.add(
                CONTEXT_DRIFT,
                "plan-deviation",
                "warning",
                (step.number, plan.number),
                f"step {step.number}: tool {step.name!r} is not in the plan of step {plan.number}",
                plan_step=plan.number,
                tool=step.name,
                planned=sorted(tools),
            )


def detect_plan_deviation(ctx: Context) -> None:
    view = ctx.view
    plans = view.of_kind(StepKind.PLAN)
    for index, plan in enumerate(plans):
        items = read_plan(view.output(plan))
        if items is None:
            if plan.status is not Status.ERROR:
                ctx.note(CONTEXT_DRIFT, f"the plan of step {plan.number} lists no steps")
            continue
        agents = _governed(view, plans, index)
        ran = _check_agents(ctx, plan, items, agents)
        end = plans[index + 1].number if index + 1 < len(plans) else None
        _check_tools(ctx, plan, items, end)
        named = [i.agent for i in items if i.agent]
        skipped = [a for a in dict.fromkeys(named) if a not in ran]
        if skipped and agents and view.session.status is Status.OK:
            ctx.add(
                CONTEXT_DRIFT,
                "plan-deviation",
                "warning",
                (plan.number,),
                f"step {plan.number}: the session ended ok, but planned agent(s) "
                f"{', '.join(repr(a) for a in skipped)} never ran",
                plan_step=plan.number,
                skipped=skipped,
            )
