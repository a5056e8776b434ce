"""``agentreel demo``: record the demo sessions, show one, and say what to try next."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentreel.demo import SCENARIOS, run_demo
from agentreel.model import Status, Step, StepKind
from agentreel.storage import Store, default_db_path

from ._context import get_context
from ._format import format_cost
from ._show import render_session
from ._style import STATUS_STYLE, short_id

__all__ = ["demo"]


def _repeated_failure(steps: Sequence[Step]) -> tuple[Step, Step] | None:
    """The first and last of the tool failures that repeat most often, if any repeat."""
    groups: dict[tuple[str, str, str], list[Step]] = {}
    for step in steps:
        if step.kind is StepKind.TOOL and step.error is not None:
            key = (step.name, step.error.type, step.error.message)
            groups.setdefault(key, []).append(step)
    repeated = max(groups.values(), key=len, default=[])
    return (repeated[0], repeated[-1]) if len(repeated) > 1 else None


def _costliest_call(steps: Sequence[Step]) -> Step | None:
    calls = [s for s in steps if s.kind is StepKind.LLM and s.cost]
    return max(calls, key=lambda s: s.cost or 0.0, default=None)


def _print_sessions(console: Console, store: Store, ids: Sequence[str], where: str) -> None:
    console.print(Text(f"Recorded {len(ids)} demo sessions into {where}"), soft_wrap=True)
    console.print()
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    failed = ""
    for session_id in ids:
        summary = store.summarize(session_id)
        status = summary.session.status
        table.add_row(
            Text(short_id(session_id), style="dim"),
            Text(summary.session.name, style="bold"),
            f"{summary.step_count} steps",
            format_cost(summary.cost),
            Text(str(status), style=STATUS_STYLE[status]),
        )
        if status is Status.ERROR:
            failed = summary.session.name
    console.print(table)
    if failed:
        console.print()
        console.print(Text(f"{failed} ends in error on purpose: its agents give up.", style="dim"))


def _hints(store: Store, ids: Sequence[str], db_option: str) -> list[tuple[str, str]]:
    """``(command, what it shows)`` pairs naming the demo's own sessions and steps."""
    by_name = {s.name: i for s, i in zip(SCENARIOS, ids, strict=True)}
    clean = short_id(by_name["fix-divide-by-zero"])
    flaky = short_id(by_name["fix-flaky-import"])
    spiky = short_id(by_name["refactor-with-cost-spike"])
    hints = [
        ("ls", "every recorded session, newest first"),
        (f"show {clean}", "a clean run: plan, investigate, fix, verify"),
    ]
    repeated = _repeated_failure(store.get_steps(by_name["fix-flaky-import"]))
    if repeated is not None:
        first, again = repeated
        error = again.error.summary() if again.error is not None else ""
        hints.append(
            (
                f"show {flaky} --step {again.number}",
                f"the same failure as step {first.number}, again: {again.name}: {error}",
            )
        )
    spike = _costliest_call(store.get_steps(by_name["refactor-with-cost-spike"]))
    if spike is not None:
        hints.append(
            (
                f"show {spiky} --step {spike.number}",
                f"the cost spike: {spike.usage.input:,} prompt tokens, {format_cost(spike.cost)}",
            )
        )
    hints += [
        (f"rca {flaky}", "why it failed: the failing step, the model call behind it, findings"),
        ("postmortem --since 7d", "recurring failures, cost anomalies and spend across sessions"),
        ("tail --follow-new", "watch sessions live while `agentreel demo` runs in another shell"),
        (f"export {flaky} -o fix-flaky-import.reel", "save a session as a reel file to share"),
    ]
    return [(f"agentreel {db_option}{command}", why) for command, why in hints]


@click.command("demo")
@click.option("--quiet", "-q", is_flag=True, help="Do not print the step tree.")
def demo(quiet: bool) -> None:
    """Record three example agent sessions and show how to explore them.

    A planner and worker agents fix a small Python repository, with a scripted
    model and tools that act on an in-memory copy of it: offline, and the same
    sessions every run. One run is clean, one repeats the same tool failure,
    one has a cost spike.
    """
    cli = get_context()
    location = cli.db_location
    if location == ":memory:":
        # An in-memory store lives in this process only: record into the very
        # store this command reads back.
        store = cli.open_store(create=True)
        ids = run_demo(store)
    else:
        ids = run_demo(location)
        store = cli.open_store()
    console = cli.console
    _print_sessions(console, store, ids, location)
    if not quiet:
        flaky = ids[[s.name for s in SCENARIOS].index("fix-flaky-import")]
        console.print()
        render_session(console, store, flaky, now_ns=cli.clock(), tz=cli.tz)
    console.print()
    if location == ":memory:":
        console.print(Text("The sessions were recorded in memory and end with this command."))
        return
    # The commands must reach the same database: name it unless it is the default.
    db_option = "" if location == str(default_db_path()) else f"--db {shlex.quote(location)} "
    console.print(Text("Explore further:", style="bold"))
    hints = _hints(store, ids, db_option)
    width = max(len(command) for command, _ in hints)
    for command, why in hints:
        line = Text("  ")
        line.append(command.ljust(width), style="cyan")
        line.append(f"  {why}", style="dim")
        console.print(line, soft_wrap=True)
