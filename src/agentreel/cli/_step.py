"""``agentreel show ID --step N``: one step in full, payloads decoded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentreel.errors import MissingPayload, UnknownStep
from agentreel.model import JSON, SessionSummary, Step, TokenUsage
from agentreel.storage import Store, load_payload

from ._chat import conversation, render_conversation
from ._format import format_cost, format_duration, format_timestamp
from ._jsonout import session_json, step_json
from ._style import KIND_STYLE, STATUS_STYLE, short_id

__all__ = ["render_step", "step_document"]


class _Payload:
    """A decoded payload, or why it could not be decoded."""

    def __init__(self, store: Store, digest: str | None) -> None:
        self.present = digest is not None
        self.value: Any = None
        self.problem: str | None = None
        if digest is not None:
            try:
                self.value = load_payload(store, digest)
            except MissingPayload as exc:
                # The rest of the step is still worth seeing; say what is missing.
                self.problem = str(exc)


def _pretty(value: JSON) -> Text:
    option = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
    return Text(orjson.dumps(value, option=option).decode())


def _usage(usage: TokenUsage) -> str:
    cached = f" ({usage.cached:,} cached)" if usage.cached else ""
    reasoning = f" ({usage.reasoning:,} reasoning)" if usage.reasoning else ""
    return f"{usage.input:,} in{cached}, {usage.output:,} out{reasoning}, {usage.total:,} total"


def _facts(
    store: Store, summary: SessionSummary, step: Step, now_ns: int, tz: dt.tzinfo | None
) -> Table:
    session = summary.session
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("session", Text(f"{session.name} ({short_id(session.id)})"))
    grid.add_row("status", Text(str(step.status), style=STATUS_STYLE[step.status]))
    if step.parent_number is not None:
        try:
            parent = store.get_step(session.id, step.parent_number)
        except UnknownStep:  # a partial import: the number is all there is
            grid.add_row("parent", f"{step.parent_number} (not recorded)")
        else:
            grid.add_row("parent", Text(f"{parent.number} ({parent.kind} {parent.name})"))
    grid.add_row("started", format_timestamp(step.started_at, tz, millis=True))
    if step.duration_ns is None:
        grid.add_row("duration", f"running for {format_duration(now_ns - step.started_at)}")
    else:
        grid.add_row("duration", format_duration(step.duration_ns))
    if step.model:
        grid.add_row("model", Text(step.model))
    if step.usage:
        grid.add_row("usage", _usage(step.usage))
    if step.cost is not None:
        grid.add_row("cost", format_cost(step.cost))
    grid.add_row("span id", step.span_id)
    return grid


def _section(console: Console, title: str) -> None:
    console.print()
    console.rule(Text(title, style="bold"), align="left")


def _payload_section(console: Console, title: str, payload: _Payload) -> None:
    if not payload.present:
        return
    if payload.problem is not None:
        _section(console, title)
        console.print(Text(payload.problem, style="red"))
        return
    messages = conversation(payload.value)
    if messages is not None:
        _section(console, f"{title} as a conversation")
        console.print(render_conversation(messages))
    _section(console, title)
    console.print(_pretty(payload.value), soft_wrap=True)


def render_step(
    console: Console,
    store: Store,
    summary: SessionSummary,
    step: Step,
    *,
    now_ns: int,
    tz: dt.tzinfo | None = None,
) -> None:
    """Print ``step`` of ``summary``'s session in full, payloads decoded."""
    title = Text(f"Step {step.number} of {summary.step_count}  ", style="bold")
    title.append(str(step.kind), style=KIND_STYLE[step.kind])
    title.append(f"  {step.name}", style="bold")
    console.print(title)
    console.print(_facts(store, summary, step, now_ns, tz))
    if step.attributes:
        _section(console, "Attributes")
        console.print(_pretty(dict(step.attributes)), soft_wrap=True)
    _payload_section(console, "Input", _Payload(store, step.input_ref))
    _payload_section(console, "Output", _Payload(store, step.output_ref))
    if step.error is not None:
        _section(console, "Error")
        console.print(Text(step.error.summary(), style="bold red"))
        if step.error.traceback:
            console.print(Text(step.error.traceback.rstrip("\n")), soft_wrap=True)


def step_document(store: Store, summary: SessionSummary, step: Step) -> dict[str, JSON]:
    """What ``show --step N --json`` prints: the session, and the step with its
    decoded payloads (``input_error``/``output_error`` say why one is missing)."""
    data = step_json(step)
    for key, digest in (("input", step.input_ref), ("output", step.output_ref)):
        payload = _Payload(store, digest)
        data[key] = payload.value
        data[f"{key}_error"] = payload.problem
    return {"session": session_json(summary), "step": data}
