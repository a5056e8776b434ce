"""Bar charts as inline SVG, drawn by our own code: no script, no library, no fetch.

Labels come from recordings (model and agent names), so they are escaped like
every other piece of trace text; numbers are formatted by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._page import escape
from ._text import clip, one_line

__all__ = ["Bar", "bar_chart", "column_chart"]

WIDTH = 640
ROW = 22
LABEL_WIDTH = 180
VALUE_WIDTH = 90
LABEL_CHARS = 26
COLUMN_HEIGHT = 140
#: Column labels shown at most; the rest are left out so they do not overlap.
COLUMN_LABELS = 14


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    label: str
    value: float
    #: The value as the chart prints it (``"$0.0123"``).
    shown: str


def _svg(title: str, width: int, height: int, parts: Sequence[str]) -> str:
    label = escape(one_line(title))
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f"<title>{label}</title>{''.join(parts)}</svg>"
    )


def _length(value: float, top: float, room: float) -> float:
    if top <= 0 or value <= 0:
        return 0.0
    # Even the smallest non-zero value gets a visible sliver.
    return max(round(value / top * room, 1), 1.0)


def bar_chart(title: str, bars: Sequence[Bar]) -> str:
    """Horizontal bars, one row each: label, bar, value."""
    top = max((b.value for b in bars), default=0.0)
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts: list[str] = []
    for index, bar in enumerate(bars):
        y = index * ROW
        length = _length(bar.value, top, room)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
            f"{escape(clip(one_line(bar.label), LABEL_CHARS))}</text>"
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 4}" width="{length}" height="{ROW - 8}"/>'
            f'<text class="value" x="{LABEL_WIDTH + length + 6}" y="{y + 15}">'
            f"{escape(bar.shown)}</text>"
        )
    return _svg(title, WIDTH, max(len(bars), 1) * ROW, parts)


def column_chart(title: str, bars: Sequence[Bar]) -> str:
    """Vertical columns in order (days), labels under them, the largest value on top."""
    count = max(len(bars), 1)
    top = max((b.value for b in bars), default=0.0)
    pitch = WIDTH / count
    width = max(round(pitch * 0.7, 1), 1.0)
    every = -(-count // COLUMN_LABELS)  # ceiling division
    base = COLUMN_HEIGHT + 4
    parts = [f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}"/>']
    for index, bar in enumerate(bars):
        x = round(index * pitch + (pitch - width) / 2, 1)
        height = _length(bar.value, top, COLUMN_HEIGHT - 16)
        parts.append(
            f'<rect class="bar" x="{x}" y="{round(base - height, 1)}" width="{width}" '
            f'height="{height}"><title>{escape(bar.label)}: {escape(bar.shown)}</title></rect>'
        )
        if index % every == 0:
            parts.append(
                f'<text x="{round(x + width / 2, 1)}" y="{base + 16}" text-anchor="middle">'
                f"{escape(clip(one_line(bar.label), 12))}</text>"
            )
    peak = next((b for b in bars if b.value == top and top > 0), None)
    if peak is not None:
        parts.append(f'<text class="value" x="0" y="12">max {escape(peak.shown)}</text>')
    return _svg(title, WIDTH, base + 24, parts)
