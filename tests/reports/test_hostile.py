"""Trace content is hostile: reports must render it as text, in HTML and in Markdown."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from agentreel.reports import (
    build_postmortem,
    build_rca,
    postmortem_html,
    postmortem_markdown,
    rca_html,
    rca_markdown,
)
from agentreel.storage import SQLiteStore

from ._build import DAY, T0, S, batch, err, openai_call, write
from ._inert import OUR_TAGS, assert_inert

SCRIPT = "<script>alert('name')</script>"
IMG = '<img src=x onerror="alert(1)">'
SVG = "<svg onload=alert(2)><script>alert(3)</script></svg>"
LINK = '<a href="javascript:alert(4)">click</a>'
FRAME = "<iframe src=javascript:alert(5)></iframe>"
BREAKOUT = "\"'><script>alert(6)</script>`| **x** [y](javascript:alert(7))"
PLANTED = (SCRIPT, IMG, SVG, LINK, FRAME, BREAKOUT)
PROJECT = "<b onmouseover=alert(8)>proj</b>"
FAILED = "f" * 32
OK = "e" * 32


def _steps(name_suffix: str, *, fail: bool) -> list[S]:
    request = {
        "messages": [
            {"role": "system", "content": f"System {SCRIPT} {FRAME}"},
            {"role": "user", "content": f"Please {LINK} and {BREAKOUT}"},
            {"role": "tool", "tool_call_id": "c0", "content": f"output {SVG} {IMG}"},
        ],
        "tools": [{"type": "function", "function": {"name": IMG, "parameters": {}}}],
    }
    return [
        S(
            kind="agent",
            name=f"{SVG} agent",
            status="error" if fail else "ok",
            error=err(SCRIPT, IMG) if fail else None,
        ),
        S(
            kind="llm",
            name=f"chat {LINK}",
            parent=1,
            model=f"{SVG}-model",
            tokens=(900, 50),
            cost=0.02,
            input=request,
            output=openai_call("c1", IMG, f'{{"q": "{FRAME}"}}'),
        ),
        S(
            kind="tool",
            name=IMG,
            parent=1,
            input={"q": FRAME},
            output=f"{SCRIPT}{name_suffix}",
            status="error" if fail else "ok",
            error=err(SCRIPT, IMG) if fail else None,
        ),
        S(
            kind="guardrail",
            name=f"guard {SCRIPT}",
            parent=1,
            attributes={"agentreel.decision": "veto", "agentreel.reason": f"blocked {LINK}"},
        ),
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    path = tmp_path_factory.mktemp("hostile") / "reel.db"
    write(
        path,
        batch(OK, f"{SCRIPT} ok {IMG}", _steps("", fail=False), project=PROJECT),
        batch(
            FAILED,
            f"{SCRIPT} {BREAKOUT}",
            _steps(FRAME, fail=True),
            project=PROJECT,
            offset_ms=1000,
        ),
    )
    return SQLiteStore(path, create=False)


def _escaped_somewhere(page: str) -> None:
    # The planted text is on the page (escaped), not dropped: otherwise the
    # inertness checks would pass for the wrong reason.
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_rca_html_is_inert(store: SQLiteStore) -> None:
    page = rca_html(build_rca(store, FAILED, now=T0 + DAY))
    found = assert_inert(page)
    _escaped_somewhere(page)
    assert "&lt;a href=&quot;javascript:alert(4)&quot;&gt;" in page  # the user message
    assert "&lt;svg onload=alert(2)&gt;" in page  # the tool result the model saw
    assert found.tags.count("svg") == 0  # an rca has no charts


def test_postmortem_html_is_inert_and_its_charts_are_ours(store: SQLiteStore) -> None:
    report = build_postmortem(store, since=T0 - DAY, project=PROJECT, now=T0 + DAY)
    page = postmortem_html(report)
    found = assert_inert(page)
    assert "&lt;b onmouseover=alert(8)&gt;proj&lt;/b&gt;" in page
    assert "blocked &lt;a href=&quot;javascript:alert(4)&quot;&gt;click&lt;/a&gt;" in page
    # Day, model and agent charts, and nothing else that looks like one.
    assert found.tags.count("svg") == 3
    assert "&lt;svg onload=alert(2)&gt;&lt;script&gt;alert(3)&lt;/script&gt;&lt;/svg&gt;-mo" in page


def test_the_parser_check_catches_what_it_is_meant_to() -> None:
    # The checks above are only worth something if they fail on a live page.
    for live in (
        "<p><script>alert(1)</script></p>",
        '<p><img src=x onerror="alert(1)"></p>',
        '<p><a href="javascript:alert(1)">x</a></p>',
        "<svg><rect onclick='x'/></svg>",
    ):
        with pytest.raises(AssertionError):
            assert_inert(live)
    assert "a" not in OUR_TAGS and "img" not in OUR_TAGS


def _markdown_page(markdown: str) -> str:
    # CommonMark passes raw HTML through, as most Markdown viewers do: any
    # unescaped tag in the report would come out live.
    return MarkdownIt("commonmark").enable("table").render(markdown)


@pytest.mark.parametrize("kind", ["rca", "postmortem"])
def test_markdown_renders_inert(store: SQLiteStore, kind: str) -> None:
    if kind == "rca":
        markdown = rca_markdown(build_rca(store, FAILED, now=T0 + DAY))
    else:
        report = build_postmortem(store, since=T0 - DAY, project=PROJECT, now=T0 + DAY)
        markdown = postmortem_markdown(report)
    page = _markdown_page(markdown)
    assert_inert(page)
    assert "&lt;script&gt;alert(" in page
    # Hostile Markdown did not get to make emphasis or links of its own.
    assert "<em>" not in page and "<a " not in page


def test_markdown_code_cannot_be_closed_by_backticks(store: SQLiteStore) -> None:
    from agentreel.reports._mdescape import md_block, md_code

    text = "a `` b ``` c <script>x</script>"
    page = _markdown_page(f"{md_code(text)}\n\n{md_block(text + chr(10) + '```')}\n")
    assert_inert(page)
    assert page.count("<code>") == 2
