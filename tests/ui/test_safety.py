"""Hostile trace content stays inert on every page; the CSP is strict and obeyed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from ._data import XSS_MARK
from .conftest import Server, screenshot

# Elements or attributes that would exist only if trace content had been
# parsed as markup (the UI itself creates none of them).
_INJECTED = (
    "script:not([src]), img, iframe, object, embed, style, b[onmouseover], "
    "[onerror], [onload], [onclick], [onmouseover], svg:not(.chart), svg [onload], "
    "a[href^='javascript'], a[href^='http'], a[href^='//']"
)


def _pages(server: Server) -> list[str]:
    sid = server.reel.xss
    other = server.reel.demo["fix-divide-by-zero"]
    return [
        "/",
        f"/?q={XSS_MARK}",
        f"/s/{sid}",
        f"/s/{sid}/step/1",
        f"/s/{sid}/step/2",
        f"/s/{sid}/step/3",
        f"/live/{sid}",
        f"/diff?a={sid}&b={other}",
        "/costs?since=30d",
    ]


@pytest.fixture
def lax_page(browser: Browser) -> Iterator[Page]:
    """A page that ignores the CSP: only the UI's own care keeps payloads inert here."""
    context = browser.new_context(viewport={"width": 1400, "height": 860}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _assert_inert(page: Page, path: str) -> None:
    fired = page.evaluate("() => window.__xss ?? null")
    assert fired is None, f"a payload ran on {path} ({fired} times)"
    injected = page.locator(_INJECTED).evaluate_all(
        "els => els.map(e => e.outerHTML.slice(0, 120))"
    )
    assert injected == [], f"markup from the trace became elements on {path}: {injected}"
    hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert all(h.startswith("/") and not h.startswith("//") for h in hrefs), (path, hrefs)


def test_planted_payloads_never_run(lax_page: Page, server: Server) -> None:
    page = lax_page
    for path in _pages(server):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        if path.startswith("/s/"):
            expect(page.get_by_test_id("step-panel")).to_be_visible()
            # Open everything that is folded: clamped text, the model context.
            for button in page.locator(".clamp-box .link-button").all():
                button.click()
            for details in page.locator("details").all():
                details.evaluate("d => { d.open = true; }")
        page.mouse.move(700, 400)
        _assert_inert(page, path)
        if path.endswith("/step/2"):
            panel = page.get_by_test_id("step-panel")
            # The payloads are there, shown as the text they are.
            expect(panel.locator(".msg[data-role='user']")).to_contain_text("<script>window.__xss")
            expect(panel.locator(".tool-name")).to_contain_text(
                "xss-probe tool-name <script>window.__xss"
            )
            expect(panel.locator(".msg[data-role='assistant']").last).to_contain_text(
                "[click me](javascript:"
            )
            screenshot(page, "xss-step")
            page.get_by_test_id("raw-toggle").check()
            _assert_inert(page, path + " (raw JSON)")
            page.get_by_test_id("raw-toggle").uncheck()
        if path.endswith("/step/1"):
            expect(page.locator(".kv-table")).to_contain_text("xss-probe attr-key <script>")
        if path == f"/?q={XSS_MARK}":
            expect(page.locator("table.sessions")).to_contain_text(
                "xss-probe session-name <script>"
            )
            expect(page.locator("table.sessions .tag").first).to_contain_text("<")


def test_every_page_has_a_strict_csp_and_breaks_none_of_it(page: Page, server: Server) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    for path in _pages(server):
        response = page.goto(server.url + path)
        assert response is not None
        csp = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp, (path, csp)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
        page.wait_for_load_state("networkidle")
        _assert_inert(page, path)
        if path == f"/?q={XSS_MARK}":
            screenshot(page, "xss-list")
    # The UI itself runs under the policy: no inline style or script of ours is refused.
    assert violations == []


def test_state_changing_requests_carry_the_csrf_token(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    page.wait_for_load_state("networkidle")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "agentreel_csrf")
    sent = page.evaluate(
        """async () => {
            const { send } = await import('/ui/js/api.js');
            let seen = null;
            const original = window.fetch;
            window.fetch = (url, init) => {
                if (init && init.method === 'POST') seen = init.headers['X-CSRF-Token'];
                return original(url, init);
            };
            try {
                await send('POST', '/api/live/nothing/command', {action: 'continue'});
            } catch (e) {}
            window.fetch = original;
            return seen;
        }"""
    )
    assert sent == token
    # Without the header the server refuses a browser's state-changing request.
    status = page.evaluate(
        """async () => (await fetch('/api/live/nothing/command',
            {method: 'POST', body: '{}', headers: {'Content-Type': 'application/json'}})).status"""
    )
    assert status == 403
