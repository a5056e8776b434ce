"""Live debugging in the browser: a real agent process paused, steered and resumed from the page."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.live.conftest import Agent, spawn
from tests.server._live import serving

from agentreel.server import ServerSettings, create_app
from agentreel.server._live_debug import LiveLinks
from agentreel.storage import SQLiteStore

from .conftest import screenshot


@dataclass(frozen=True, slots=True)
class LiveServer:
    url: str
    db: Path


@pytest.fixture
def live() -> Iterator[LiveServer]:
    """A server on an empty store in a short directory (unix socket paths are short)."""
    with tempfile.TemporaryDirectory(prefix="ar-", dir="/tmp") as d:
        db = Path(d) / "reel.db"
        store = SQLiteStore(db)
        app = create_app(store, settings=ServerSettings(poll_interval=0.1, heartbeat=1.0))
        links = app.state.agentreel_live = LiveLinks.for_store(store)
        try:
            with serving(app) as url:
                yield LiveServer(url=url, db=db)
        finally:
            links.close()
            store.close()


@pytest.fixture
def start(live: LiveServer) -> Iterator[Any]:
    """``start(**env)``: an agent process recording into the server's store, ready to go."""
    started: list[Agent] = []

    def go(**env: str) -> Agent:
        agent = spawn(live.db, **env)
        started.append(agent)
        deadline = time.monotonic() + 10
        url = f"{live.url}/api/sessions/{agent.session_id}"
        while httpx.get(url).status_code != 200:
            assert time.monotonic() < deadline, "the agent's session never reached the store"
            time.sleep(0.05)
        return agent

    yield go
    for agent in started:
        if agent.proc.poll() is None:
            agent.proc.kill()
        agent.proc.communicate(timeout=10)


def open_live(page: Page, live: LiveServer, agent: Agent) -> None:
    page.goto(f"{live.url}/live/{agent.session_id}")
    expect(page.get_by_test_id("debug-note")).to_contain_text(f"Agent process {agent.proc.pid}")


def paused_at(page: Page, text: str) -> None:
    expect(page.get_by_test_id("paused-at")).to_contain_text(f"Paused before {text}")
    expect(page.get_by_test_id("debug-continue")).to_be_enabled()


def test_a_breakpoint_set_in_the_page_pauses_the_agent_until_continued(
    page: Page, live: LiveServer, start: Any
) -> None:
    a: Agent = start()
    open_live(page, live, a)
    for action in ("continue", "step", "edit", "skip", "abort"):
        expect(page.get_by_test_id(f"debug-{action}")).to_be_disabled()
    expect(page.get_by_test_id("paused-at")).to_have_text("Running")

    page.get_by_test_id("bp-input").fill("tool:write_note")
    page.get_by_test_id("bp-add").click()
    expect(page.get_by_test_id("bp-list")).to_contain_text("1: tool:write_note")
    expect(page.get_by_test_id("bp-list")).to_contain_text("set by agentreel serve web UI")

    a.go()
    paused_at(page, "#2 tool write_note: breakpoint 1 (tool:write_note)")
    # Before deciding: the step's input as it will run, and the model's context
    # there (the messages of the model call before it, and its reply).
    paused_input = page.get_by_test_id("paused-input")
    expect(paused_input.locator("tr", has_text="path")).to_contain_text("a.txt")
    expect(paused_input.locator("tr", has_text="text")).to_contain_text("first")
    context = page.get_by_test_id("paused-context")
    expect(context).to_contain_text("sent to #1 think, and its reply")
    expect(context.locator(".msg[data-role='user']")).to_contain_text("take two notes")
    expect(context.locator(".msg[data-role='assistant']")).to_contain_text("write the notes")
    # The paused step shows in the tree as running (it waits before it runs),
    # selected, with the same context in the step panel.
    expect(page.locator(".row[data-step='2'].st-running")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.get_by_test_id("model-context")).to_contain_text("take two notes")
    screenshot(page, "live-paused")

    page.get_by_test_id("debug-continue").click()
    paused_at(page, "#3 tool write_note")  # the breakpoint stays while the page is open
    expect(paused_input.locator("tr", has_text="path")).to_contain_text("b.txt")
    # A spec that does not parse is refused with the parser's reason; nothing runs.
    page.get_by_test_id("bp-input").fill("if __import__('os').system('id')")
    page.get_by_test_id("bp-add").click()
    expect(page.get_by_test_id("debug-message")).to_contain_text(
        "Breakpoint not set: bad condition"
    )
    page.get_by_test_id("bp-clear-1").click()
    expect(page.get_by_test_id("bp-list")).to_be_empty()
    page.get_by_test_id("debug-continue").click()

    code, out, _err = a.finish()
    assert code == 0
    assert out.splitlines() == [
        "wrote a.txt: first",
        "result 5 chars",
        "wrote b.txt: second",
        "result 6 chars",
        "done",
    ]
    expect(page.get_by_test_id("live-badge")).to_have_text("ended")
    expect(page.locator(".row[data-step='3']")).to_be_visible()
    expect(page.get_by_test_id("session-status")).to_have_text("ok")
    expect(page.get_by_test_id("debug-note")).to_have_text("The session has ended.")
    expect(page.get_by_test_id("bp-add")).to_be_disabled()


def test_edit_input_changes_the_tool_call_and_skip_vetoes_the_next(
    page: Page, live: LiveServer, start: Any
) -> None:
    a: Agent = start(BREAK="tool:write_note")
    open_live(page, live, a)
    expect(page.get_by_test_id("bp-list")).to_contain_text("set by code")
    a.go()
    paused_at(page, "#2 tool write_note")
    box = page.get_by_test_id("edit-input")
    # The box starts with the paused step's input.
    assert '"text": "first"' in box.input_value()
    box.fill("not json")
    page.get_by_test_id("debug-edit").click()
    expect(page.get_by_test_id("debug-message")).to_have_text("The edited input must be JSON.")
    box.fill('{"path": "a.txt", "text": "edited in the browser"}')
    screenshot(page, "live-edit")
    page.get_by_test_id("debug-edit").click()
    paused_at(page, "#3 tool write_note")
    # The next pause fills the box with its own input.
    expect(box).to_have_value('{\n  "path": "b.txt",\n  "text": "second"\n}')
    page.get_by_test_id("debug-skip").click()

    code, out, _err = a.finish()
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "wrote a.txt: edited in the browser"
    assert lines[2].startswith("vetoed b.txt skipped at a pause")
    assert "wrote b.txt: second" not in lines
    steps = a.steps()
    assert a.input_of(steps[("tool", "write_note a.txt")]) == {
        "path": "a.txt",
        "text": "edited in the browser",
    }
    skipped = steps[("tool", "write_note b.txt")]
    assert skipped.attributes["agentreel.decision"] == "veto"
    # The page shows what was recorded: the edited input, and the veto.
    expect(page.get_by_test_id("live-badge")).to_have_text("ended")
    page.locator(".row[data-step='2']").click()
    expect(page.get_by_test_id("step-panel")).to_contain_text("edited in the browser")
    page.locator(".row[data-step='3']").click()
    expect(page.get_by_test_id("step-panel")).to_contain_text("StepVetoed")


def test_abort_ends_the_run_with_an_error(page: Page, live: LiveServer, start: Any) -> None:
    a: Agent = start(BREAK="llm")
    open_live(page, live, a)
    a.go()
    paused_at(page, "#1 llm think")
    # A model call's input is the model's context: shown as a conversation.
    messages = page.get_by_test_id("paused-messages")
    expect(messages.locator(".msg[data-role='user']")).to_contain_text("take two notes")
    page.get_by_test_id("debug-abort").click()
    code, out, err = a.finish()
    assert code == 1 and "RunAborted" in err and "wrote" not in out
    expect(page.get_by_test_id("session-status")).to_have_text("error")
    expect(page.get_by_test_id("live-badge")).to_have_text("ended")
    expect(page.locator(".session-head .error-box")).to_contain_text(
        "RunAborted: run aborted at step 1"
    )
    screenshot(page, "live-aborted")


def test_pause_at_next_step_stops_the_agent_once(page: Page, live: LiveServer, start: Any) -> None:
    a: Agent = start()
    open_live(page, live, a)
    page.get_by_test_id("pause-next").click()
    expect(page.get_by_test_id("bp-list")).to_contain_text("1: name:* (the next step, once)")
    a.go()
    paused_at(page, "#1 llm think: breakpoint 1 (name:*)")
    expect(page.get_by_test_id("pause-next")).to_be_disabled()
    expect(page.get_by_test_id("paused-messages")).to_contain_text("take two notes")
    # Before the first model call the model has no context yet: the step is the context.
    expect(page.get_by_test_id("paused-context")).to_have_count(0)
    screenshot(page, "live-paused-llm")
    # The breakpoint went with its stop: Continue runs the agent to its end.
    expect(page.get_by_test_id("bp-list")).to_be_empty()
    page.get_by_test_id("debug-continue").click()
    code, out, _err = a.finish()
    assert code == 0
    assert out.splitlines()[-1] == "done"
    expect(page.get_by_test_id("live-badge")).to_have_text("ended")
