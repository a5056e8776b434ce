"""Markdown building blocks that keep hostile trace text as text.

Prompts, tool outputs and even step names can hold HTML, scripts and
Markdown of their own. Inline text has every character that Markdown or
HTML would act on backslash-escaped (CommonMark lets any ASCII punctuation be
escaped, and an escaped ``<`` never opens a tag); code spans and fenced
blocks use a fence longer than any run of backticks in the text, so the text
cannot close them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ._text import one_line

__all__ = ["CELL", "INK", "md_block", "md_code", "md_table", "md_text"]

# Emphasis, code, links and images, HTML and entities, tables, strikethrough,
# and the backslash itself. An underscore inside a word (``run_tests``) can
# neither open nor close emphasis, so it is left alone to stay readable.
_SPECIAL = re.compile(r"([\\`*\[\]<>&|~!#]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_TICKS = re.compile(r"`+")
_BREAKS = re.compile(r"\r\n|[\r\n]")


def md_text(text: str) -> str:
    """``text`` on one line, inert as Markdown (safe inside a table cell too)."""
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), one_line(text))


def _fence_length(text: str) -> int:
    return max((len(m) for m in _TICKS.findall(text)), default=0) + 1


def md_code(text: str, *, cell: bool = False) -> str:
    """``text`` on one line as a code span; ``cell``: for a table cell (``|`` escaped).

    Line breaks become spaces, as Markdown would make them anyway; other
    spaces are kept, since in code (JSON arguments, say) they mean something.
    """
    flat = _BREAKS.sub(" ", text)
    if cell:
        # GitHub splits table rows on every unescaped pipe, even in code spans.
        flat = flat.replace("|", "\\|")
    fence = "`" * _fence_length(flat)
    # A span that starts or ends with a backtick needs a space to be read right.
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def md_block(text: str, indent: str = "") -> str:
    """``text`` as a fenced code block, each line prefixed by ``indent``."""
    fence = "`" * max(3, _fence_length(text))
    lines = [fence, *text.splitlines(), fence]
    return "\n".join(indent + line if line else indent.rstrip() for line in lines)


class _MarkdownInk:
    """How report sentences write trace text, code and emphasis in Markdown."""

    def text(self, text: str) -> str:
        return md_text(text)

    def code(self, text: str) -> str:
        return md_code(text)

    def strong(self, text: str) -> str:
        return f"**{text}**"


class _CellInk(_MarkdownInk):
    """The same, inside a table cell."""

    def code(self, text: str) -> str:
        return md_code(text, cell=True)


INK = _MarkdownInk()
CELL = _CellInk()


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """A table of cells that are already Markdown (see :data:`CELL`)."""
    yield "| " + " | ".join(header) + " |"
    yield "|" + "|".join(" --- " for _ in header) + "|"
    for row in rows:
        yield "| " + " | ".join(row) + " |"
