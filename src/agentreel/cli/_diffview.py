"""How ``agentreel diff`` shows a :class:`~agentreel.diff.SessionDiff`: the
rich text of :func:`render_diff` and the document of :func:`diff_document`.

Both shapes of output live here, apart from the command in ``_diff``, so that
what a diff looks like can change without touching how its two sessions are
found; each takes a finished diff and knows nothing of the command line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import orjson
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentreel.diff import FieldChange, SessionDiff, StepPair, text_diff
from agentreel.model import JSON, SessionSummary, Step, StepTree

from ._format import format_cost
from ._jsonout import session_json, step_json
from ._style import KIND_STYLE, short_id

__all__ = ["diff_document", "render_diff"]

#: Field changes printed per step; ``--json`` has them all.
MAX_CHANGES = 20
#: Characters of a value shown in ``before → after``.
VALUE_WIDTH = 100

PAIR_STYLE = {"same": "dim", "changed": "yellow", "added": "green", "removed": "red"}
_DIFF_LINE_STYLE = {"-": "red", "+": "green", "@": "cyan"}


# ---------------------------------------------------------------- JSON


def _change_json(change: FieldChange) -> dict[str, JSON]:
    return {
        "path": change.path,
        "change": change.change,
        "before": change.before,
        "after": change.after,
        "text_diff": change.text_diff,
    }


def _pair_json(pair: StepPair) -> dict[str, JSON]:
    return {
        "status": pair.status,
        "a": None if pair.a is None else step_json(pair.a),
        "b": None if pair.b is None else step_json(pair.b),
        "changes": [_change_json(c) for c in pair.changes],
    }


def diff_document(result: SessionDiff, origins: tuple[str, str]) -> dict[str, JSON]:
    """What ``diff --json`` prints (documented in docs/diff.md)."""
    first: dict[str, JSON] | None = None
    for index, pair in enumerate(result.pairs):
        if pair is result.first_divergence:
            first = {
                "index": index,
                "status": pair.status,
                "a": None if pair.a is None else pair.a.number,
                "b": None if pair.b is None else pair.b.number,
            }
            break
    return {
        "identical": result.identical,
        "a": {**session_json(result.a), "source": origins[0]},
        "b": {**session_json(result.b), "source": origins[1]},
        "counts": dict(result.counts),
        "first_divergence": first,
        "pairs": [_pair_json(p) for p in result.pairs],
    }


# ---------------------------------------------------------------- text


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


def _short(value: JSON) -> str:
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def _describe(step: Step) -> str:
    return f"{step.kind} {_one_line(step.name)}"


def _header(
    summaries: tuple[SessionSummary, SessionSummary], reels: Sequence[str | None]
) -> Iterator[Text]:
    """One line per session, columns padded by hand: a reel file's path at
    the end may be long, and the line should overflow rather than wrap."""
    rows = [
        [
            _one_line(s.session.name),
            short_id(s.session.id),
            f"{s.step_count} steps",
            str(s.session.status),
            format_cost(s.cost) if s.cost else "-",
        ]
        for s in summaries
    ]
    widths = [max(len(a), len(b)) for a, b in zip(*rows, strict=True)]
    styles = ("bold", "dim", "", "", "")
    for label, cells, reel in zip("AB", rows, reels, strict=True):
        line = Text(label, style="bold")
        for cell, width, style in zip(cells, widths, styles, strict=True):
            line.append("  ")
            line.append(cell.ljust(width), style=style)
        if reel is not None:
            line.append(f"  from {reel}", style="dim")
        line.rstrip()
        yield line


def _paths(pair: StepPair, limit: int = 3) -> str:
    paths = list(dict.fromkeys(c.path for c in pair.changes))
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _divergence(result: SessionDiff) -> Text:
    pair = result.first_divergence
    if pair is None:
        return Text("No divergence: the sessions are the same step for step.")
    line = Text("First divergence: ", style="bold")
    if pair.a is not None and pair.b is not None:
        line.append(f"A step {pair.a.number} ↔ B step {pair.b.number}, {_describe(pair.a)}")
        line.append(f" changed ({_paths(pair)})")
        return line
    before = result.pairs[: result.pairs.index(pair)]
    if pair.b is not None:
        prev = next((p.a.number for p in reversed(before) if p.a is not None), None)
        where = f"after A step {prev}" if prev is not None else "before A's first step"
        line.append(f"B step {pair.b.number}, {_describe(pair.b)}, added (not in A; {where})")
    elif pair.a is not None:
        prev = next((p.b.number for p in reversed(before) if p.b is not None), None)
        where = f"after B step {prev}" if prev is not None else "before B's first step"
        line.append(f"A step {pair.a.number}, {_describe(pair.a)}, removed (not in B; {where})")
    return line


def _depths(steps: Sequence[Step]) -> dict[int, int]:
    return {step.number: depth for depth, step in StepTree.build(steps).walk()}


def _visible(pairs: Sequence[StepPair], context: int, show_all: bool) -> list[bool]:
    if show_all:
        return [True] * len(pairs)
    shown = [False] * len(pairs)
    for index, pair in enumerate(pairs):
        if pair.status != "same":
            for k in range(max(0, index - context), min(len(pairs), index + context + 1)):
                shown[k] = True
    # Hiding a single step would take as much room as showing it.
    for index in range(len(pairs)):
        if not shown[index]:
            lone_before = index == 0 or shown[index - 1]
            lone_after = index == len(pairs) - 1 or shown[index + 1]
            shown[index] = lone_before and lone_after
    return shown


def _rows(pairs: Sequence[StepPair], shown: Sequence[bool]) -> Iterator[StepPair | int]:
    hidden = 0
    for pair, visible in zip(pairs, shown, strict=True):
        if visible:
            if hidden:
                yield hidden
                hidden = 0
            yield pair
        else:
            hidden += 1
    if hidden:
        yield hidden


def _cell(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


def _table(result: SessionDiff, context: int, show_all: bool) -> Table:
    depth_a = _depths([p.a for p in result.pairs if p.a is not None])
    depth_b = _depths([p.b for p in result.pairs if p.b is not None])
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("A", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    # Name and changes give way on a narrow console, each cell on one line
    # ending in an ellipsis; numbers, kinds and statuses are never cut.
    table.add_column("name", min_width=12, max_width=60)
    table.add_column("B", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("changes", min_width=7)
    for row in _rows(result.pairs, _visible(result.pairs, context, show_all)):
        if isinstance(row, int):
            noun = "step" if row == 1 else "steps"
            table.add_row("", "", _cell(f"… {row} same {noun}", "dim"), "", "", "")
            continue
        step = row.a if row.a is not None else row.b
        assert step is not None  # a pair always holds at least one step
        depth = depth_a[step.number] if row.a is not None else depth_b[step.number]
        table.add_row(
            "-" if row.a is None else str(row.a.number),
            Text(str(step.kind), style=KIND_STYLE[step.kind]),
            _cell("  " * depth + _one_line(step.name)),
            "-" if row.b is None else str(row.b.number),
            Text(row.status, style=PAIR_STYLE[row.status]),
            _cell(_paths(row) if row.changes else ""),
        )
    return table


def _parent(steps: Mapping[int, Step], number: JSON) -> str:
    if not isinstance(number, int):
        return "none (top level)"
    step = steps.get(number)
    return f"{number} ({_describe(step)})" if step is not None else str(number)


def _change_lines(
    change: FieldChange, context: int, parents: tuple[Mapping[int, Step], Mapping[int, Step]]
) -> Iterator[Text]:
    if change.path == "parent":
        yield Text(
            f"parent: {_parent(parents[0], change.before)} → {_parent(parents[1], change.after)}"
        )
    elif change.change == "added":
        yield Text(f"{change.path}: added {_short(change.after)}")
    elif change.change == "removed":
        yield Text(f"{change.path}: removed {_short(change.before)}")
    elif change.text_diff is not None:
        yield Text(f"{change.path}:")
        # The path says what the text is; the ---/+++ file lines add nothing.
        for line in text_diff(change.before, change.after, context=context).splitlines()[2:]:
            yield Text("  " + line, style=_DIFF_LINE_STYLE.get(line[:1], ""))
    else:
        yield Text(f"{change.path}: {_short(change.before)} → {_short(change.after)}")


def _changes(console: Console, result: SessionDiff, context: int) -> None:
    parents = (
        {p.a.number: p.a for p in result.pairs if p.a is not None},
        {p.b.number: p.b for p in result.pairs if p.b is not None},
    )
    for pair in result.pairs:
        if pair.a is None or pair.b is None or not pair.changes:
            continue
        console.print()
        title = Text(f"A step {pair.a.number} ↔ B step {pair.b.number}  ", style="bold")
        title.append(str(pair.a.kind), style=KIND_STYLE[pair.a.kind])
        title.append(f"  {_one_line(pair.a.name)}", style="bold")
        console.print(title)
        for change in pair.changes[:MAX_CHANGES]:
            for line in _change_lines(change, context, parents):
                console.print(Text("  ") + line, soft_wrap=True)
        if len(pair.changes) > MAX_CHANGES:
            more = len(pair.changes) - MAX_CHANGES
            console.print(Text(f"  … {more} more changes (--json shows all)", style="dim"))


def render_diff(
    console: Console,
    result: SessionDiff,
    *,
    reels: Sequence[str | None] = (None, None),
    context: int = 3,
    show_all: bool = False,
) -> None:
    """Print ``result``: the two sessions, a summary, the aligned steps, the changes.

    ``reels`` names the reel file each side came from (None: the database);
    ``context`` is how many same steps surround each difference in the table
    and how many lines surround each change in a text diff; ``show_all``
    lists every step.
    """
    for line in _header((result.a, result.b), reels):
        console.print(line, soft_wrap=True)
    console.print()
    counts = result.counts
    console.print(
        f"{counts['same']} same, {counts['changed']} changed, "
        f"{counts['added']} added, {counts['removed']} removed"
    )
    console.print(_divergence(result))
    if result.identical and not show_all:
        return
    console.print()
    console.print(_table(result, context, show_all))
    _changes(console, result, context)
