"""The web UI's live view, in a real browser, steering an agent linked to the server.

The UI's files are unchanged: the page speaks to ``/api/live/...`` as it does
for an agent on the server's machine, and the server answers through the
agent's link. ``agentreel serve`` runs as its own process.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.live._linked import serving, spawn_agent
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        yield Path(d)


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing ({CHROMIUM}): `apt-get install chromium`")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert errors == [], f"uncaught script errors: {errors}"


def test_the_live_page_steers_an_agent_on_another_machine(page: Page, home: Path) -> None:
    with serving(str(home / "server.db"), home) as url:
        a = spawn_agent(url, home)
        try:
            assert a.linked
            page.goto(f"{url}/live/{a.session_id}")
            expect(page.get_by_test_id("debug-note")).to_contain_text(f"Agent process {a.proc.pid}")
            page.get_by_test_id("bp-input").fill("tool:write_note")
            page.get_by_test_id("bp-add").click()
            bps = page.get_by_test_id("bp-list")
            expect(bps).to_contain_text("1: tool:write_note")
            expect(bps).to_contain_text("set by agentreel serve web UI (via server)")

            a.go()
            paused = page.get_by_test_id("paused-at")
            expect(paused).to_contain_text("Paused before #2 tool write_note")
            expect(page.get_by_test_id("debug-continue")).to_be_enabled()
            paused_input = page.get_by_test_id("paused-input")
            expect(paused_input.locator("tr", has_text="path")).to_contain_text("a.txt")
            # Edit, not skip: a vetoed root step would make the server's ingest
            # call the session errored (and the page ended) while it still runs.
            box = page.get_by_test_id("edit-input")
            box.fill('{"text": "from the page"}')
            page.get_by_test_id("debug-edit").click()
            expect(paused).to_contain_text("Paused before #3 tool write_note")
            expect(paused_input.locator("tr", has_text="path")).to_contain_text("b.txt")
            page.get_by_test_id("bp-clear-1").click()
            expect(bps).to_be_empty()
            state = httpx.get(f"{url}/api/live/{a.session_id}/state").json()
            assert state["paused"], state
            page.get_by_test_id("debug-continue").click()
            code, out, _ = a.finish()
        finally:
            if a.proc.poll() is None:
                a.proc.kill()
                a.proc.communicate(timeout=10)
        assert code == 0
        assert out == [
            "wrote a.txt: from the page",
            "result 13 chars",
            "wrote b.txt: second",
            "result 6 chars",
            "done",
            "stats 0",
        ]
        expect(page.get_by_test_id("live-badge")).to_have_text("ended")
