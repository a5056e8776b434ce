"""A real server over a recorded store, and headless Chromium driving the UI.

The store is filled through the SDK: the demo's three sessions, a second run
of one of them (for the diff), a session whose every field carries XSS
payloads, and a 10,000-step session. The server is the real app from
``agentreel.server.create_app`` on uvicorn, on an ephemeral port of
127.0.0.1, in a thread of the test process.

Screenshots go to docs/screenshots/ (or $AGENTREEL_SCREENSHOTS).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

import agentreel
from agentreel.demo import SCENARIOS, record_scenario, run_demo
from agentreel.server import ServerSettings, create_app

from ._data import XSS_MARK, record_big_session, record_pair, record_xss_session

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("AGENTREEL_SCREENSHOTS", ROOT / "docs" / "screenshots"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Reel:
    """The recorded store and the ids of its sessions."""

    db: Path
    demo: dict[str, str]
    rerun: str
    xss: str
    big: str
    pair: tuple[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    url: str
    reel: Reel


@pytest.fixture(scope="session")
def reel(tmp_path_factory: pytest.TempPathFactory) -> Reel:
    db = tmp_path_factory.mktemp("ui") / "reel.db"
    ids = run_demo(str(db))
    demo = {s.name: i for s, i in zip(SCENARIOS, ids, strict=True)}
    agentreel.configure(db=str(db))
    try:
        # The clean scenario again: a second run to diff against the first.
        rerun = record_scenario(SCENARIOS[0])
        xss = record_xss_session()
        big = record_big_session()
        pair = record_pair()
        assert agentreel.flush(timeout=60)
    finally:
        agentreel.shutdown()
    return Reel(db=db, demo=demo, rerun=rerun, xss=xss, big=big, pair=pair)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def server(reel: Reel) -> Iterator[Server]:
    app = create_app(str(reel.db), settings=ServerSettings(poll_interval=0.1, heartbeat=1.0))
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the agentreel server did not start")
        time.sleep(0.02)
    yield Server(url=f"http://127.0.0.1:{port}", reel=reel)
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): the web UI tests need it; "
            "install it with `apt-get install chromium` (`make test` does)"
        )
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class PageErrors:
    """Uncaught errors of the page's scripts; a test ends by asserting none."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = PageErrors(page)
    yield page
    context.close()
    assert errors.errors == [], f"uncaught script errors: {errors.errors}"


def screenshot(page: Page, name: str) -> Path:
    """Save what the user sees, for a reviewer (docs/screenshots/README.md)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


__all__ = ["XSS_MARK", "Reel", "Server", "screenshot"]
