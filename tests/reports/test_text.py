"""Numbers read as the command line writes them; Markdown escaping keeps text text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from agentreel.cli import _format as cli_format
from agentreel.reports._mdescape import md_code, md_text
from agentreel.reports._text import format_cost, format_tokens


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False))
def test_costs_read_as_on_the_command_line(usd: float) -> None:
    assert format_cost(usd) == cli_format.format_cost(usd)


@given(st.integers(min_value=0, max_value=10**13))
def test_tokens_read_as_on_the_command_line(count: int) -> None:
    assert format_tokens(count) == cli_format.format_tokens(count)


_MD = MarkdownIt("commonmark").enable("table")


def _inline_text(markdown: str) -> str:
    """The text a CommonMark renderer makes of one paragraph."""
    tokens = _MD.parseInline(markdown)
    children = tokens[0].children or []
    return "".join(t.content for t in children if t.type in ("text", "code_inline"))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60))
def test_escaped_text_renders_as_itself(text: str) -> None:
    flat = " ".join(text.split())
    rendered = _MD.renderInline(md_text(text))
    # Nothing but text came out: no tags of its own, no entities it did not ask for.
    assert _inline_text(md_text(text)) == flat
    assert "<" not in rendered.replace("&lt;", "")


@pytest.mark.parametrize("text", ["a | b", "`x`", "``", "a ``` b", "<b>x</b>"])
def test_code_spans_hold_their_text(text: str) -> None:
    assert _inline_text(md_code(text)) == text


def test_pipes_in_table_cells_stay_in_their_cell() -> None:
    table = f"| a | b |\n| --- | --- |\n| {md_code('x | y', cell=True)} | {md_text('p | q')} |\n"
    html = _MD.render(table)
    assert html.count("<td>") == 2
    assert "<code>x | y</code>" in html and "p | q" in html
