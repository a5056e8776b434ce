"""A server started with auth: the page asks for an API key, keeps it in the tab, signs out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, Request, expect
from tests.server._live import serving

from agentreel.server import ServerSettings, create_app
from agentreel.storage import SQLiteStore

from .conftest import Reel, screenshot


@dataclass(frozen=True, slots=True)
class AuthServer:
    url: str
    key: str


@pytest.fixture(scope="module")
def auth_server(reel: Reel) -> Iterator[AuthServer]:
    """The recorded store served with --auth, and a key of the demo's project."""
    store = SQLiteStore(reel.db)
    try:
        _key_id, secret = store.create_api_key("default", "ui-test")
    finally:
        store.close()
    app = create_app(
        str(reel.db), settings=ServerSettings(auth=True, poll_interval=0.1, heartbeat=1.0)
    )
    with serving(app) as url:
        yield AuthServer(url=url, key=secret)


class Requests:
    """Every request the page sends: URLs and the Authorization header of /api ones."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.api_auth: list[str | None] = []
        page.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        self.urls.append(request.url)
        if "/api/" in request.url:
            self.api_auth.append(request.headers.get("authorization"))


def _submit(page: Page, key: str) -> None:
    page.get_by_test_id("key-input").fill(key)
    page.get_by_test_id("key-submit").click()


def test_the_key_form_opens_the_api_and_sign_out_forgets_the_key(
    page: Page, auth_server: AuthServer, reel: Reel
) -> None:
    requests = Requests(page)
    page.goto(auth_server.url + "/")
    # The API answered 401: the page asks for a key instead of showing an error.
    form = page.get_by_test_id("key-form")
    expect(form).to_be_visible()
    expect(form).to_contain_text("--auth")
    expect(page.get_by_test_id("sessions")).to_have_count(0)
    expect(page.get_by_test_id("sign-out")).to_have_count(0)

    # A wrong key is refused with the server's reason, and the form stays.
    _submit(page, "agr_0123456789abcdef_wrong")
    message = page.get_by_test_id("key-message")
    expect(message).to_contain_text("The server refused this key")
    expect(message).to_contain_text("not valid")
    expect(page.get_by_test_id("sessions")).to_have_count(0)
    screenshot(page, "auth-key")
    # Text no header can carry is refused without asking the server.
    _submit(page, "not a key")
    expect(message).to_contain_text("not an API key")

    requests.urls.clear()
    requests.api_auth.clear()
    _submit(page, auth_server.key)
    table = page.get_by_test_id("sessions")
    expect(table).to_contain_text("fix-divide-by-zero")
    expect(page.get_by_test_id("sign-out")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('agentreel.apiKey')") == auth_server.key
    assert page.evaluate("localStorage.length") == 0
    screenshot(page, "auth-signed-in")

    # A page opened afresh in the tab uses the kept key from its first request on.
    session = reel.demo["refactor-with-cost-spike"]
    page.goto(f"{auth_server.url}/s/{session}/step/16")
    expect(page.get_by_test_id("step-panel")).to_have_attribute("data-step", "16")
    expect(page.get_by_test_id("step-panel").locator(".msg[data-role='system']")).to_have_count(1)
    # The live view's stream carries the key too (it ends: the session is over).
    page.goto(f"{auth_server.url}/live/{session}")
    expect(page.get_by_test_id("stream-state")).to_have_text("ended")
    # The reel file downloads with the key.
    page.goto(f"{auth_server.url}/s/{session}")
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    assert download.value.suggested_filename.endswith(".reel")
    with open(download.value.path(), encoding="utf-8") as reel_file:
        assert session in reel_file.read()

    # From the key on, it went in the Authorization header of every API request,
    # never in a URL.
    assert requests.api_auth and set(requests.api_auth) == {f"Bearer {auth_server.key}"}
    assert not [url for url in requests.urls if auth_server.key in url]

    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("key-form")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('agentreel.apiKey')") is None
    page.goto(auth_server.url + "/costs")
    expect(page.get_by_test_id("key-form")).to_be_visible()


def test_a_kept_key_that_stops_working_brings_the_form_back(
    page: Page, auth_server: AuthServer
) -> None:
    page.goto(auth_server.url + "/")
    page.evaluate("sessionStorage.setItem('agentreel.apiKey', 'agr_0123456789abcdef_revoked')")
    page.goto(auth_server.url + "/diff")
    # Ids no session has (ids are hex), so the answer is known: not found.
    page.get_by_test_id("diff-a").fill("nosuch-a")
    page.get_by_test_id("diff-b").fill("nosuch-b")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_test_id("key-form")).to_be_visible()
    expect(page.get_by_test_id("key-message")).to_contain_text("The key of this tab was refused")
    screenshot(page, "auth-key-revoked")
    _submit(page, auth_server.key)
    # Back on the page that asked, now answered.
    expect(page).to_have_url(f"{auth_server.url}/diff?a=nosuch-a&b=nosuch-b")
    expect(page.locator(".notice-error")).to_contain_text("Could not compare")
