"""``agentreel tail``: follow a session's steps live, as the recorder writes them.

The store is polled. Steps are numbered in start order and only a running step
can still change, so each poll re-reads steps from the lowest number that was
still running last time: a long session costs a few rows per poll, not all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import click
from rich.text import Text

from agentreel.model import Session, Status, Step
from agentreel.storage import SessionFilter, Store

from ._context import CliContext, get_context
from ._format import format_cost, format_duration, format_time, format_tokens, iso_utc
from ._jsonout import print_json, step_json, tokens_json
from ._style import KIND_STYLE, STATUS_STYLE, short_id

__all__ = ["StepEvent", "StepFollower", "tail"]

_KIND_WIDTH = 9  # len("guardrail"), the longest kind


@dataclass(frozen=True, slots=True, kw_only=True)
class StepEvent:
    """A step that started, or ended, since the previous poll."""

    event: Literal["start", "end"]
    step: Step
    depth: int

    @property
    def at(self) -> int:
        if self.event == "end" and self.step.ended_at is not None:
            return self.step.ended_at
        return self.step.started_at


def _order(event: StepEvent) -> tuple[int, int, int]:
    # At equal times a start comes before an end, and a child ends before its parent.
    if event.event == "start":
        return (event.at, 0, event.step.number)
    return (event.at, 1, -event.step.number)


class StepFollower:
    """What changed in one session's steps since the last :meth:`poll`."""

    def __init__(self, store: Store, session_id: str) -> None:
        self.store = store
        self.session_id = session_id
        self._low = 1  # every step below this number has ended and been reported
        self._started: set[int] = set()
        self._ended: set[int] = set()
        self._depth: dict[int, int] = {}

    @property
    def low(self) -> int:
        """The lowest step number the next poll reads from."""
        return self._low

    def poll(self) -> list[StepEvent]:
        steps = self.store.get_steps(self.session_id, from_number=self._low)
        events: list[StepEvent] = []
        for step in steps:
            parent = step.parent_number
            depth = self._depth.get(parent, -1) + 1 if parent is not None else 0
            self._depth.setdefault(step.number, depth)
            depth = self._depth[step.number]
            if step.number not in self._started:
                self._started.add(step.number)
                events.append(StepEvent(event="start", step=step, depth=depth))
            if step.status is not Status.RUNNING and step.number not in self._ended:
                self._ended.add(step.number)
                events.append(StepEvent(event="end", step=step, depth=depth))
        running = [s.number for s in steps if s.status is Status.RUNNING]
        if running:
            self._low = min(running)
        elif steps:
            self._low = steps[-1].number + 1
        self._started = {n for n in self._started if n >= self._low}
        self._ended = {n for n in self._ended if n >= self._low}
        events.sort(key=_order)
        return events


class _Printer:
    """Writes events as rich lines or as JSON lines."""

    def __init__(self, cli: CliContext, as_json: bool) -> None:
        self.console = cli.console
        self.tz = cli.tz
        self.as_json = as_json

    def _line(self, text: Text) -> None:
        self.console.print(text, soft_wrap=True)

    def following(self, session: Session) -> None:
        if self.as_json:
            print_json(self.console, _session_event("session", session), indent=False)
            return
        line = Text("Following ")
        line.append(session.name, style="bold")
        line.append(
            f" ({short_id(session.id)}), started {format_time(session.started_at, self.tz)}"
        )
        line.append(" — Ctrl-C to stop", style="dim")
        self._line(line)

    def waiting(self, message: str) -> None:
        if not self.as_json:
            self._line(Text(message, style="dim"))

    def step(self, event: StepEvent) -> None:
        step = event.step
        if self.as_json:
            print_json(self.console, _step_event(event), indent=False)
            return
        label = "start" if event.event == "start" else str(step.status)
        style = "dim" if event.event == "start" else STATUS_STYLE[step.status]
        line = Text(f"{format_time(event.at, self.tz)}  ")
        line.append(f"{label:<6}", style=style)
        line.append(f" {step.number:>3}  ")
        line.append(f"{step.kind!s:<{_KIND_WIDTH}}", style=KIND_STYLE[step.kind])
        line.append("  " + "  " * event.depth + step.name)
        if event.event == "end":
            details = [format_duration(step.duration_ns)]
            if step.usage:
                details.append(f"{format_tokens(step.usage.total)} tokens")
            if step.cost:
                details.append(format_cost(step.cost))
            line.append("  " + " · ".join(details), style="dim")
            if step.error is not None:
                line.append("  " + step.error.summary(), style="red")
        self._line(line)

    def ended(self, store: Store, session: Session) -> None:
        summary = store.summarize(session.id)
        if self.as_json:
            data = _session_event("session_end", session)
            data.update(
                steps=summary.step_count,
                errors=summary.error_count,
                tokens=tokens_json(summary.usage),
                cost=summary.cost,
            )
            print_json(self.console, data, indent=False)
            return
        line = Text("Session ")
        line.append(session.name, style="bold")
        line.append(" ended: ")
        line.append(str(session.status), style=STATUS_STYLE[session.status])
        line.append(
            f" after {format_duration(session.duration_ns)} · {summary.step_count} steps"
            f" · {format_tokens(summary.usage.total)} tokens · {format_cost(summary.cost)}"
        )
        self._line(line)


def _step_event(event: StepEvent) -> dict[str, object]:
    step = event.step
    if event.event == "end":
        return {"event": "end", "session_id": step.session_id, **step_json(step, depth=event.depth)}
    # A start is reported as the step was when it started, even when this poll
    # already finds it ended: its end follows as an event of its own.
    return {
        "event": "start",
        "session_id": step.session_id,
        "number": step.number,
        "parent": step.parent_number,
        "depth": event.depth,
        "span_id": step.span_id,
        "kind": str(step.kind),
        "name": step.name,
        "status": str(Status.RUNNING),
        "started_at": iso_utc(step.started_at),
    }


def _session_event(event: str, session: Session) -> dict[str, object]:
    return {
        "event": event,
        "session_id": session.id,
        "name": session.name,
        "status": str(session.status),
        "started_at": iso_utc(session.started_at),
        "ended_at": iso_utc(session.ended_at),
    }


def _newest(store: Store) -> Session | None:
    found = store.list_sessions(SessionFilter(limit=1))
    return found[0].session if found else None


def _follow(
    store: Store,
    printer: _Printer,
    session_id: str | None,
    *,
    follow_new: bool,
    forever: bool,
    interval: float,
    sleep: Callable[[float], None],
) -> None:
    newest = _newest(store)
    if session_id is None:
        if newest is None:
            printer.waiting("No session yet; waiting for one to start…")
        while newest is None:
            sleep(interval)
            newest = _newest(store)
        session_id = newest.id
    # Sessions that exist now are not "new": --follow-new only switches to later ones.
    baseline = newest.id if newest is not None else None
    followed = {session_id}
    follower = StepFollower(store, session_id)
    session = store.get_session(session_id)
    printer.following(session)
    announced_end = False
    while True:
        # Read the session before its steps: once it is seen ended, the steps
        # read after that include everything it recorded.
        session = store.get_session(follower.session_id)
        for event in follower.poll():
            printer.step(event)
        if session.status is not Status.RUNNING and not announced_end:
            printer.ended(store, session)
            announced_end = True
            if not (forever or follow_new):
                return
        if follow_new:
            latest = _newest(store)
            if latest is not None and latest.id != baseline and latest.id not in followed:
                followed.add(latest.id)
                follower = StepFollower(store, latest.id)
                announced_end = False
                printer.following(latest)
                continue
        sleep(interval)


@click.command("tail")
@click.argument("session_id", metavar="[ID]", required=False)
@click.option(
    "--follow-new",
    is_flag=True,
    help="Switch to each new session as it starts, and keep running after a session ends.",
)
@click.option("--forever", is_flag=True, help="Keep following after the session ends.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.01),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="How often to poll the store.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
def tail(
    session_id: str | None, follow_new: bool, forever: bool, interval: float, as_json: bool
) -> None:
    """Follow a session's steps as they start and end.

    Without ID, follows the newest session (waiting for one if there is none).
    Stops when the session ends, unless --forever or --follow-new; Ctrl-C
    stops it at any time.
    """
    cli = get_context()
    store = cli.open_store()
    full_id = store.resolve_session_id(session_id) if session_id is not None else None
    printer = _Printer(cli, as_json)
    try:
        _follow(
            store,
            printer,
            full_id,
            follow_new=follow_new,
            forever=forever,
            interval=interval,
            sleep=time.sleep,
        )
    except KeyboardInterrupt:
        # Ctrl-C is how a follow is meant to end: no traceback, no "Aborted!".
        return
