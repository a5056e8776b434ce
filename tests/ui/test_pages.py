"""Each page of the web UI in headless Chromium against a real server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import Server, screenshot


def _rows(page: Page) -> list[str]:
    return page.locator("table.sessions tbody td.name .name-line > a:first-child").all_inner_texts()


def test_sessions_list_filters_searches_sorts_and_pages(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    table = page.get_by_test_id("sessions")
    expect(table).to_be_visible()
    names = _rows(page)
    for name in ("fix-divide-by-zero", "fix-flaky-import", "refactor-with-cost-spike"):
        assert name in names
    expect(page.get_by_test_id("list-summary")).to_contain_text(re.compile(r"^1–\d+ of \d+$"))
    screenshot(page, "sessions")

    page.get_by_test_id("search").fill("flaky")
    page.get_by_test_id("search").press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=flaky"))
    expect(page.locator("table.sessions tbody tr")).to_have_count(1)
    assert _rows(page) == ["fix-flaky-import"]

    page.get_by_test_id("clear-filters").click()
    page.get_by_test_id("status-filter").select_option("error")
    expect(page).to_have_url(re.compile(r"status=error"))
    # The URL changes before the table is drawn again: wait for the new rows.
    expect(page.locator("table.sessions tbody tr[data-status='ok']")).to_have_count(0)
    statuses = page.locator("table.sessions tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )
    assert statuses and set(statuses) == {"error"}

    page.goto(server.url + "/?tag=load")
    expect(page.locator("table.sessions tbody tr")).to_have_count(1)
    assert _rows(page) == ["big-10k-steps"]

    # Sorting by a column header: most expensive first.
    page.goto(server.url + "/")
    page.locator("th a[data-sort='cost']").click()
    expect(page).to_have_url(re.compile(r"sort=cost"))
    expect(page.locator("table.sessions tbody tr").first).to_contain_text(
        "refactor-with-cost-spike"
    )

    # Pages of two: the next page shows the next two, and the URL says so.
    page.goto(server.url + "/?limit=2&sort=name&order=asc")
    expect(page.locator("table.sessions tbody tr")).to_have_count(2)
    first_page = _rows(page)
    page.get_by_test_id("page-next").click()
    expect(page).to_have_url(re.compile(r"offset=2"))
    expect(page.get_by_test_id("list-summary")).to_contain_text(re.compile(r"^3–4 of "))
    second_page = _rows(page)
    assert len(second_page) == 2
    assert first_page[-1] <= second_page[0]
    page.get_by_test_id("page-prev").click()
    expect(page.get_by_test_id("list-summary")).to_contain_text(re.compile(r"^1–2 of "))


def _at(page: Page, number: int) -> None:
    expect(page.get_by_test_id("step-panel")).to_have_attribute("data-step", str(number))
    expect(page.locator(f".row[data-step='{number}']")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("scrub-label")).to_contain_text(f"step {number} /")


def test_session_view_steps_with_the_scrubber(page: Page, server: Server) -> None:
    session = server.reel.demo["refactor-with-cost-spike"]
    page.goto(f"{server.url}/s/{session[:12]}")
    _at(page, 1)
    expect(page.locator(".row")).to_have_count(20)

    forward = page.get_by_test_id("scrub-forward")
    forward.click()
    _at(page, 2)
    expect(page).to_have_url(re.compile(rf"/s/{session[:12]}/step/2$"))
    # Steps after the current one are shown as not yet happened.
    expect(page.locator(".row[data-step='3']")).to_have_class(re.compile(r"\bfuture\b"))
    expect(page.locator(".row[data-step='1']")).not_to_have_class(re.compile(r"\bfuture\b"))
    page.get_by_test_id("scrub-back").click()
    _at(page, 1)
    page.keyboard.press("j")
    _at(page, 2)
    page.get_by_test_id("scrub-last").click()
    _at(page, 20)
    page.get_by_test_id("scrub-first").click()
    _at(page, 1)

    # Play walks forward on its own; pause stops it.
    page.locator(".scrub-speed").select_option("0.25")
    page.get_by_test_id("scrub-play").click()
    expect(page.get_by_test_id("step-panel")).to_have_attribute(
        "data-step", re.compile(r"^([4-9]|1\d|20)$"), timeout=8000
    )
    page.get_by_test_id("scrub-play").click()
    stopped = page.get_by_test_id("step-panel").get_attribute("data-step")
    page.wait_for_timeout(700)
    assert page.get_by_test_id("step-panel").get_attribute("data-step") == stopped

    # A model call: its context as a conversation, and its reply.
    page.get_by_test_id("scrub-range").fill("15")  # index 15 is step 16
    _at(page, 16)
    panel = page.get_by_test_id("step-panel")
    expect(panel.locator(".msg[data-role='system']")).to_have_count(1)
    expect(panel.locator(".msg[data-role='user']")).to_have_count(1)
    expect(panel.locator(".msg[data-role='assistant']")).to_contain_text("Approve.")
    expect(panel).to_contain_text("19,744 in")
    expect(panel).to_contain_text("gpt-4.1")
    screenshot(page, "session")

    # The next step is not a model call: the model's context follows along,
    # open (the messages sent to #16 and its reply), as `agentreel debug` shows it.
    forward.click()
    _at(page, 17)
    context = page.get_by_test_id("model-context")
    expect(context).to_contain_text("2 messages sent to #16 chat.completions.create")
    expect(context.locator(".msg[data-role='system']")).to_be_visible()
    expect(context.locator(".msg[data-role='assistant']")).to_contain_text("Approve.")
    screenshot(page, "session-context")
    # Closed, it stays closed while stepping on; the context changes with the step.
    context.locator("summary").click(position={"x": 4, "y": 6})  # the marker, not the link
    expect(context).not_to_have_attribute("open", "")
    page.keyboard.press("j")
    page.keyboard.press("j")
    _at(page, 19)
    context = page.get_by_test_id("model-context")
    expect(context).to_contain_text("sent to #18")
    expect(context).not_to_have_attribute("open", "")

    page.get_by_test_id("raw-toggle").check()
    expect(page.get_by_test_id("raw-json")).to_contain_text('"number": 19')
    page.get_by_test_id("raw-toggle").uncheck()
    expect(page.get_by_test_id("raw-json")).to_have_count(0)


def test_a_step_is_linkable(page: Page, server: Server) -> None:
    session = server.reel.demo["fix-flaky-import"]
    page.goto(f"{server.url}/s/{session}/step/18")
    _at(page, 18)
    panel = page.get_by_test_id("step-panel")
    expect(panel.locator(".error-box")).to_contain_text("ModuleNotFoundError")
    expect(page.locator(".row[data-step='18']")).to_be_in_viewport()
    screenshot(page, "step")
    # The parent link inside the panel is a step link too; back returns.
    panel.locator("a", has_text=re.compile(r"^#\d+$")).first.click()
    expect(page).to_have_url(re.compile(rf"/s/{session}/step/\d+$"))
    parent = int(page.url.rsplit("/", 1)[1])
    _at(page, parent)
    page.go_back()
    _at(page, 18)
    page.goto(f"{server.url}/s/{session}/step/999")
    expect(page.get_by_test_id("step-panel")).to_have_attribute("data-step", "1")


def test_unknown_session_and_page_say_so(page: Page, server: Server) -> None:
    page.goto(server.url + "/s/ffffffffffff")
    expect(page.locator(".notice-error")).to_contain_text("No session")
    screenshot(page, "not-found")
    page.goto(server.url + "/nowhere/at/all")
    assert page.locator("body").inner_text() != ""


def test_diff_highlights_the_first_divergence(page: Page, server: Server) -> None:
    a, b = server.reel.pair
    page.goto(f"{server.url}/diff?a={a[:12]}&b={b[:12]}")
    first = page.get_by_test_id("first-divergence")
    expect(first).to_be_visible()
    expect(first).to_contain_text("#3")
    expect(first).to_contain_text("search_code")
    expect(first).to_have_attribute("data-change", "changed")
    expect(first).to_have_attribute("title", re.compile(r"input\.query"))
    expect(page.get_by_test_id("divergence-summary")).to_contain_text("row 3")
    same = page.locator(".diff-row[data-change='same']")
    expect(same).to_have_count(3)
    screenshot(page, "diff")

    # Two runs of the deterministic demo: the same steps.
    page.goto(f"{server.url}/diff?a={server.reel.demo['fix-divide-by-zero']}&b={server.reel.rerun}")
    expect(page.get_by_test_id("no-divergence")).to_be_visible()
    expect(page.get_by_test_id("first-divergence")).to_have_count(0)


def test_costs_per_day_model_agent_and_top_sessions(page: Page, server: Server) -> None:
    page.goto(server.url + "/costs")
    expect(page.get_by_test_id("total-cost")).to_have_text(re.compile(r"^\$0\.\d{4}$"))
    expect(page.get_by_test_id("day-bar")).to_have_count(8)  # the last 7 days and today
    expect(page.get_by_test_id("by-model")).to_contain_text("gpt-4.1")
    expect(page.get_by_test_id("by-agent")).to_contain_text("reviewer")
    top = page.get_by_test_id("top-sessions").locator("tbody tr").first
    expect(top).to_contain_text("refactor-with-cost-spike")
    screenshot(page, "costs")
    page.get_by_test_id("since").select_option("30d")
    expect(page).to_have_url(re.compile(r"since=30d"))
    expect(page.get_by_test_id("day-bar")).to_have_count(31)
