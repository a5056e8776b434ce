"""The control messages, with no socket: a request dict in, a response dict out."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import agentreel
from agentreel import hooks
from agentreel.hooks._breakpoints import breakpoint, breakpoints
from agentreel.hooks._channel import ControlHub, Controller


def controller(sent: list[dict[str, Any]]) -> Controller:
    return Controller(ControlHub(hooks.get_manager()), sent.append, peer="in-process")


def test_requests_get_responses_and_bad_ones_get_errors() -> None:
    c = controller([])
    assert c.handle("pauses")["error"]["code"] == "bad_request"
    assert c.handle({"id": 3, "op": 7})["error"]["code"] == "unknown_op"
    hello = c.handle({"id": 1, "op": "hello"})
    assert hello["ok"] and hello["id"] == 1
    assert hello["result"]["protocol"] == 1
    assert hello["result"]["pause_timeout"] == 300.0
    made = c.handle({"id": 2, "op": "break", "spec": "tool:rm*"})["result"]
    assert made == {
        "number": 1,
        "spec": "tool:rm*",
        "once": False,
        "owner": "controller (in-process)",
    }
    listed = c.handle({"id": 4, "op": "breakpoints"})["result"]
    assert listed == [made]
    refused = c.handle({"id": 5, "op": "break", "spec": "if os.system('x')"})
    assert refused["error"]["code"] == "refused"
    assert "calls are not part of the condition language" in refused["error"]["message"]


def test_leaving_removes_the_controllers_breakpoints_but_not_the_codes() -> None:
    breakpoint("llm", control=False)
    c = controller([])
    c.handle({"id": 1, "op": "break", "spec": "tool"})
    assert len(breakpoints()) == 2
    c.close()
    assert [b.spec for b in breakpoints()] == ["llm"]


def test_a_pause_is_told_and_resolved_through_messages(tmp_path: Path) -> None:
    agentreel.configure(db=tmp_path / "reel.db", flush_interval=0.05)
    sent: list[dict[str, Any]] = []
    c = controller(sent)
    c.handle({"id": 1, "op": "break", "spec": "tool"})

    @agentreel.tool
    def shout(text: str) -> str:
        return text.upper()

    results: list[str] = []
    with agentreel.session("in-process"):
        worker = threading.Thread(target=lambda: results.append(shout("quiet")))
        worker.start()
        deadline = threading.Event()
        while not any(m.get("event") == "paused" for m in sent) and not deadline.wait(0.02):
            pass
        pause = next(m for m in sent if m.get("event") == "paused")["pause"]
        assert pause["input"] == {"text": "quiet"}
        context = c.handle({"id": 2, "op": "context", "pause": pause["pause"]})["result"]
        assert context == {"step": 1, "call": None, "input": None, "reply": None}
        done = c.handle(
            {
                "id": 3,
                "op": "resolve",
                "pause": pause["pause"],
                "action": "edit",
                "input": {"text": "loud"},
            }
        )
        assert done["ok"], done
        worker.join(10)
    assert results == ["LOUD"]
    resumed = next(m for m in sent if m.get("event") == "resumed")
    assert (resumed["action"], resumed["by"]) == ("edit", "controller (in-process)")
