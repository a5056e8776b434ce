"""``agentreel show``: one session's header and step tree, or one step in full."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping

import click
import orjson
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentreel.model import (
    JSON,
    Session,
    SessionSummary,
    Step,
    StepKind,
    StepTree,
    Totals,
    rollup,
    session_totals,
)
from agentreel.storage import Store

from ._context import get_context
from ._format import (
    format_cost,
    format_duration,
    format_relative,
    format_span,
    format_timestamp,
    format_tokens,
)
from ._jsonout import print_json, session_json, step_json
from ._step import render_step, step_document
from ._style import KIND_STYLE, STATUS_STYLE, short_id

__all__ = ["render_session", "session_document", "show"]

#: How agent rows mark totals that include everything under them.
ROLLUP_MARK = "Σ"


def _branches(tree: StepTree) -> Iterator[tuple[str, int, Step]]:
    """Yield ``(guide, depth, step)`` in tree order, ``guide`` drawing the branches."""
    stack: list[tuple[Step, str, str, int]] = [(root, "", "", 0) for root in reversed(tree.roots)]
    while stack:
        step, guide, indent, depth = stack.pop()
        yield guide, depth, step
        kids = tree.children_of(step.number)
        for i in range(len(kids) - 1, -1, -1):
            last = i == len(kids) - 1
            child_guide = indent + ("└─ " if last else "├─ ")
            child_indent = indent + ("   " if last else "│  ")
            stack.append((kids[i], child_guide, child_indent, depth + 1))


def _tokens(total: int, rolled: bool) -> str:
    if not total:
        return "-"
    return (ROLLUP_MARK if rolled else "") + format_tokens(total)


def _cost(cost: float | None, rolled: bool) -> str:
    if not cost:
        return "-"
    return (ROLLUP_MARK if rolled else "") + format_cost(cost)


def _step_table(tree: StepTree, totals: Mapping[int, Totals], now_ns: int) -> Table:
    # Name and error columns give way on a narrow console; their cells stay on
    # one line and end in an ellipsis rather than wrap.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("name", min_width=12, max_width=60)
    table.add_column("duration", justify="right", no_wrap=True, min_width=8)
    table.add_column("tokens", justify="right", no_wrap=True, min_width=6)
    table.add_column("cost", justify="right", no_wrap=True, min_width=7)
    table.add_column("status", no_wrap=True, min_width=7)
    table.add_column("error", min_width=5)
    for guide, _depth, step in _branches(tree):
        if step.kind is StepKind.AGENT:
            rolled = totals[step.number]
            tokens, cost = _tokens(rolled.usage.total, True), _cost(rolled.cost, True)
        else:
            tokens, cost = _tokens(step.usage.total, False), _cost(step.cost, False)
        name = Text(guide, style="dim", no_wrap=True, overflow="ellipsis")
        name.append(step.name)
        table.add_row(
            str(step.number),
            Text(str(step.kind), style=KIND_STYLE[step.kind]),
            name,
            format_span(step.started_at, step.ended_at, now_ns),
            tokens,
            cost,
            Text(str(step.status), style=STATUS_STYLE[step.status]),
            Text(
                step.error.summary() if step.error else "",
                style="red",
                no_wrap=True,
                overflow="ellipsis",
            ),
        )
    return table


def _metadata(metadata: Mapping[str, JSON]) -> str:
    parts = []
    for key, value in metadata.items():
        shown = value if isinstance(value, str) else _compact(value)
        parts.append(f"{key}={shown}")
    return ", ".join(parts)


def _compact(value: JSON) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _header(session: Session, totals: Totals, now_ns: int, tz: dt.tzinfo | None) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("id", session.id)
    grid.add_row("status", Text(str(session.status), style=STATUS_STYLE[session.status]))
    grid.add_row("project", Text(session.project))
    if session.tags:
        grid.add_row("tags", Text(", ".join(session.tags)))
    if session.metadata:
        grid.add_row("metadata", Text(_metadata(session.metadata)))
    started = format_timestamp(session.started_at, tz)
    grid.add_row("started", f"{started} ({format_relative(session.started_at, now_ns)})")
    if session.ended_at is None:
        grid.add_row("duration", f"running for {format_duration(now_ns - session.started_at)}")
    else:
        grid.add_row("duration", format_duration(session.duration_ns))
    errors = f", {totals.errors} failed" if totals.errors else ""
    usage = totals.usage
    tokens = (
        f"{format_tokens(usage.total)} tokens "
        f"({format_tokens(usage.input)} in, {format_tokens(usage.output)} out)"
    )
    grid.add_row("totals", f"{totals.steps} steps{errors} · {tokens} · {format_cost(totals.cost)}")
    if session.forked_from is not None:
        fork = session.forked_from
        grid.add_row("forked", f"from {short_id(fork.session_id)} at step {fork.step}")
    if session.error is not None:
        grid.add_row("error", Text(session.error.summary(), style="red"))
    return grid


def render_session(
    console: Console,
    store: Store,
    session_id: str,
    *,
    now_ns: int | None = None,
    tz: dt.tzinfo | None = None,
) -> None:
    """Print one session's header and step tree to ``console``.

    ``session_id`` may be any unique prefix. ``now_ns`` (default: the clock)
    is what running steps' elapsed times are measured against; ``tz`` is the
    zone times are shown in (default: the local zone).
    """
    now_ns = time.time_ns() if now_ns is None else now_ns
    full_id = store.resolve_session_id(session_id)
    session = store.get_session(full_id)
    steps = store.get_steps(full_id)
    tree = StepTree.build(steps)
    title = Text(session.name, style="bold")
    title.append(f"  {short_id(session.id)}", style="dim")
    console.print(title)
    console.print(_header(session, session_totals(steps), now_ns, tz))
    console.print()
    if not steps:
        console.print("No steps recorded yet.")
        return
    console.print(_step_table(tree, rollup(tree), now_ns))
    if any(step.kind is StepKind.AGENT for step in steps):
        console.print(
            Text(f"{ROLLUP_MARK}: an agent's totals, with every step under it.", style="dim")
        )


def session_document(summary: SessionSummary, steps: list[Step]) -> dict[str, JSON]:
    """What ``show --json`` prints: the session and every step, in tree order."""
    tree = StepTree.build(steps)
    totals = rollup(tree)
    return {
        "session": session_json(summary),
        "steps": [
            step_json(step, depth=depth, rollup=totals[step.number])
            for _, depth, step in _branches(tree)
        ],
    }


@click.command("show")
@click.argument("session_id", metavar="ID")
@click.option("--step", "number", type=int, metavar="N", help="Show step N in full.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of rich text.")
def show(session_id: str, number: int | None, as_json: bool) -> None:
    """Show a session: its header and step tree, or one step in full.

    ID is a session id or any unique prefix of one (see `agentreel ls`).
    """
    cli = get_context()
    store = cli.open_store()
    full_id = store.resolve_session_id(session_id)
    now_ns = cli.clock()
    if number is not None:
        summary = store.summarize(full_id)
        step = store.get_step(full_id, number)
        if as_json:
            print_json(cli.console, step_document(store, summary, step))
        else:
            render_step(cli.console, store, summary, step, now_ns=now_ns, tz=cli.tz)
        return
    if as_json:
        print_json(
            cli.console, session_document(store.summarize(full_id), store.get_steps(full_id))
        )
        return
    render_session(cli.console, store, full_id, now_ns=now_ns, tz=cli.tz)
