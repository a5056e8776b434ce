"""The HTML page around a report: one self-contained file, inert whatever the trace holds.

Everything a page shows that came from a recording goes through
:func:`escape` (``&``, ``<``, ``>`` and both quotes), so a prompt holding
``<script>`` prints as text. The page has no JavaScript, loads nothing (a
Content-Security-Policy says so to the browser, as a second line of defence)
and carries its CSS inline.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from ._text import one_line

__all__ = ["HtmlInk", "escape", "page", "pre", "table"]

#: Allow inline styles and nothing else: no scripts, no fetches, no frames, no forms.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"

CSS = """
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --bg: #ffffff; --soft: #f6f8fa; --bar: #0969da; --bad: #cf222e; --warn: #9a6700;
  --good: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1;
  --line: #3d444d; --bg: #0d1117; --soft: #151b23; --bar: #4493f8; --bad: #f85149;
  --warn: #d29922; --good: #3fb950; } }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 64rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; padding-bottom: .25rem;
  border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 1rem; }
.verdict { padding: .75rem 1rem; border-left: 4px solid var(--muted); background: var(--soft); }
.verdict.failed { border-color: var(--bad); } .verdict.flagged { border-color: var(--warn); }
.verdict.clean { border-color: var(--good); }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: var(--soft); padding: .1em .3em; border-radius: 4px;
  overflow-wrap: anywhere; white-space: pre-wrap; }
pre { background: var(--soft); padding: .75rem 1rem; border-radius: 6px; overflow-x: auto;
  white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .6rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sev-error { color: var(--bad); font-weight: 600; } .sev-warning { color: var(--warn);
  font-weight: 600; } .sev-info { color: var(--muted); }
.chart { margin: .5rem 0 1rem; max-width: 100%; height: auto; }
.chart text { fill: var(--fg); font: 12px system-ui, sans-serif; }
.chart .value { fill: var(--muted); } .chart rect.bar { fill: var(--bar); }
.chart line { stroke: var(--line); }
details summary { cursor: pointer; color: var(--muted); }
ul.commands { list-style: none; padding-left: 0; } ul.commands li { margin: .3rem 0; }
""".strip()


def escape(text: str) -> str:
    """``text`` as inert HTML text or attribute value."""
    return html.escape(text, quote=True)


class HtmlInk:
    """How report sentences write trace text, code and emphasis in HTML."""

    def text(self, text: str) -> str:
        return escape(one_line(text))

    def code(self, text: str) -> str:
        # Spaces inside code mean something (indented source in arguments):
        # keep them, and let the stylesheet preserve them; only breaks go.
        flat = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
        return f"<code>{escape(flat)}</code>"

    def strong(self, text: str) -> str:
        return f"<strong>{text}</strong>"


def pre(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def table(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[int] = ()
) -> str:
    """A table of cells that are already HTML; columns in ``numeric`` align right."""

    def cls(index: int) -> str:
        return ' class="num"' if index in numeric else ""

    head = "".join(f"<th{cls(i)}>{h}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: Iterable[str]) -> str:
    """A whole HTML document; ``title`` is plain text, ``body`` HTML fragments."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="agentreel">',
            f"<title>{escape(one_line(title))}</title>",
            f"<style>\n{CSS}\n</style>",
            "</head>",
            "<body>",
            "<main>",
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )
