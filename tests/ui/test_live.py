"""The live view: steps of a running session appear as they start."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

import agentreel

from .conftest import Server, screenshot


class Agent:
    """Records a session in a thread, one step at a time, when told to go on."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.session_id = ""
        self.started = threading.Event()
        self.go_on = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with agentreel.session("live-run", tags=["live"]) as session:
                self.session_id = session.id
                with agentreel.step("agent", "watcher"):
                    with agentreel.step("tool", "first_tool", input={"n": 1}) as step:
                        step.set_output("one")
                    self.started.set()
                    # The page opens here; the next steps start while it watches.
                    self.go_on.wait(timeout=20)
                    for n in range(2, 6):
                        with agentreel.step("tool", f"tool_{n}", input={"n": n}) as step:
                            time.sleep(0.25)
                            step.set_output(n)
                    with agentreel.step("tool", "slow_tool"):
                        time.sleep(1.5)
        except BaseException as exc:  # reported by the test
            self.failure = exc
            self.started.set()


@pytest.fixture
def agent(server: Server) -> Iterator[Agent]:
    agentreel.configure(db=str(server.reel.db), flush_interval=0.05)
    agent = Agent(str(server.reel.db))
    agent.thread.start()
    yield agent
    agent.go_on.set()
    agent.thread.join(timeout=20)
    agentreel.shutdown()


def test_live_view_shows_steps_as_they_start(page: Page, server: Server, agent: Agent) -> None:
    assert agent.started.wait(timeout=10)
    assert agent.failure is None, agent.failure
    url = f"{server.url}/api/sessions/{agent.session_id}/steps"
    deadline = time.monotonic() + 10
    while httpx.get(url).status_code != 200 or not httpx.get(url).json()["steps"]:
        assert time.monotonic() < deadline, "the running session never reached the store"
        time.sleep(0.05)

    page.goto(f"{server.url}/live/{agent.session_id}")
    expect(page.get_by_test_id("live-badge")).to_have_text("● live")
    expect(page.locator(".row[data-step='2']")).to_be_visible()
    expect(page.locator(".row[data-step='3']")).to_have_count(0)
    expect(page.get_by_test_id("stream-state")).to_have_text("connected")
    # The debugger controls are there but disabled: this agent records from a
    # thread of the test process without the control channel, so the
    # live-debug API answers 404 NotLive and the panel says why.
    for action in ("continue", "step", "edit", "skip", "abort"):
        expect(page.get_by_test_id(f"debug-{action}")).to_be_disabled()
    expect(page.get_by_test_id("pause-next")).to_be_disabled()
    expect(page.get_by_test_id("debug-note")).to_contain_text("Live debugging is not available")

    agent.go_on.set()
    # New steps appear while the agent runs; the view follows the newest.
    expect(page.locator(".row[data-step='4']")).to_be_visible(timeout=10_000)
    running = page.locator(".row[data-step='7'].st-running")
    expect(running).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("step-panel")).to_have_attribute("data-step", "7")
    screenshot(page, "live")
    # And the end of the session shows too.
    expect(page.get_by_test_id("live-badge")).to_have_text("ended", timeout=10_000)
    expect(page.locator(".row[data-step='7']")).to_have_class("row st-ok selected")
    expect(page.get_by_test_id("session-status")).to_have_text("ok")
    assert agent.failure is None, agent.failure
