"""Checking that a rendered page holds nothing active: no scripts, handlers or script URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Every element our reports use; anything else came from a recording.
OUR_TAGS = frozenset(
    {
        "html", "head", "meta", "title", "style", "body", "main", "section", "h1", "h2", "h3",
        "p", "code", "pre", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "ol",
        "li", "span", "details", "summary", "br", "svg", "rect", "text", "line",
    }
)  # fmt: skip
#: Attributes whose value is a URL a browser would follow or load.
URL_ATTRIBUTES = frozenset({"href", "src", "xlink:href", "action", "formaction", "data", "srcdoc"})


@dataclass
class Inventory:
    tags: list[str] = field(default_factory=list)
    handlers: list[tuple[str, str]] = field(default_factory=list)
    urls: list[tuple[str, str, str]] = field(default_factory=list)
    script_urls: list[str] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = Inventory()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.tags.append(tag)
        for name, value in attrs:
            text = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if name.startswith("on"):
                self.found.handlers.append((tag, name))
            if name in URL_ATTRIBUTES:
                self.found.urls.append((tag, name, value or ""))
            if "javascript:" in text or "vbscript:" in text:
                self.found.script_urls.append(f"<{tag} {name}={value!r}>")


def inventory(html: str) -> Inventory:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_inert(html: str) -> Inventory:
    """Fail unless ``html`` uses only our elements, with no handlers and no URLs at all."""
    found = inventory(html)
    assert "script" not in found.tags
    assert set(found.tags) <= OUR_TAGS, sorted(set(found.tags) - OUR_TAGS)
    assert found.handlers == []
    assert found.urls == []
    assert found.script_urls == []
    return found
