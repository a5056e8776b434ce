"""A live agent process paused from this one: continue, step, edit, skip, abort, timeout."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentreel.hooks._client import ControlError

from .conftest import Agent, wait_until


def paused_at(client: Any, name: str = "write_note") -> dict[str, Any]:
    event = client.wait_event("paused", 10.0)
    pause: dict[str, Any] = event["pause"]
    assert pause["name"] == name
    return pause


def test_a_code_breakpoint_pauses_before_the_step_until_continued(agent: Any) -> None:
    a: Agent = agent(BREAK="tool:write_note")
    with a.connect() as client:
        assert client.hello["protocol"] == 1
        assert [s["id"] for s in client.hello["sessions"]] == [a.session_id]
        a.go()
        pause = paused_at(client)
        assert pause["kind"] == "tool"
        assert pause["step"] == 2
        assert pause["input"] == {"path": "a.txt", "text": "first"}
        assert pause["reason"] == "breakpoint 1 (tool:write_note)"
        assert pause["owner"] == "code"
        # Paused *before* the step: the tool has not written anything yet.
        assert a.proc.stdout is not None
        context = client.request("context", pause=pause["pause"])
        assert context == {
            "step": 2,
            "call": 1,
            "input": {"messages": [{"role": "user", "content": "take two notes"}]},
            "reply": {"role": "assistant", "content": "write the notes"},
        }
        client.resolve(pause["pause"], "continue")
        second = paused_at(client)
        assert second["input"]["path"] == "b.txt"
        client.resolve(second["pause"], "continue")
        code, out, _err = a.finish()
    assert code == 0
    assert out.splitlines() == [
        "wrote a.txt: first",
        "result 5 chars",
        "wrote b.txt: second",
        "result 6 chars",
        "done",
    ]
    step = a.steps()[("tool", "write_note a.txt")]
    assert step.attributes["agentreel.pause.resolution"] == "continue"
    assert step.attributes["agentreel.decision"] == "allow"
    assert step.attributes["agentreel.decision.hook"].startswith("test controller (pid ")


def test_edit_runs_the_tool_with_the_new_input(agent: Any) -> None:
    a: Agent = agent()
    with a.connect() as client:
        bp = client.request("break", spec="tool:write_note", once=True)
        assert bp == {"number": 1, "spec": "tool:write_note", "once": True, "owner": bp["owner"]}
        a.go()
        pause = paused_at(client)
        client.resolve(pause["pause"], "edit", {"text": "edited from outside"})
        code, out, _err = a.finish()
    assert code == 0
    assert "wrote a.txt: edited from outside" in out.splitlines()
    assert "wrote b.txt: second" in out.splitlines()  # once: the second call did not pause
    step = a.steps()[("tool", "write_note a.txt")]
    assert step.attributes["agentreel.decision"] == "replace"
    assert step.attributes["agentreel.decision.input"] == {"text": "edited from outside"}
    assert a.input_of(step) == {"path": "a.txt", "text": "edited from outside"}


def test_skip_vetoes_the_step_and_the_agent_goes_on(agent: Any) -> None:
    a: Agent = agent()
    with a.connect() as client:
        client.request("break", spec="if input.path == 'a.txt'")
        a.go()
        client.resolve(paused_at(client)["pause"], "skip")
        code, out, _err = a.finish()
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("vetoed a.txt skipped at a pause")
    assert "wrote a.txt: first" not in lines
    assert "wrote b.txt: second" in lines
    step = a.steps()[("tool", "write_note a.txt")]
    assert step.attributes["agentreel.decision"] == "veto"
    assert step.error is not None and step.error.type == "agentreel.errors.StepVetoed"


def test_abort_ends_the_run_with_run_aborted(agent: Any) -> None:
    a: Agent = agent(BREAK="tool:write_note")
    with a.connect() as client:
        a.go()
        client.resolve(paused_at(client)["pause"], "abort")
        code, out, err = a.finish()
    assert code == 1
    assert "agentreel.errors.RunAborted: run aborted at step 2 (tool write_note)" in err
    assert "wrote" not in out
    step = a.steps()[("tool", "write_note a.txt")]
    assert step.attributes["agentreel.decision"] == "abort"
    assert step.error is not None and step.error.type == "agentreel.errors.RunAborted"
    assert str(a.session().status) == "error"


def test_step_pauses_before_the_next_step_of_any_kind(agent: Any) -> None:
    a: Agent = agent()
    with a.connect() as client:
        client.request("break", spec="llm")
        a.go()
        first = paused_at(client, "think")
        context = client.request("context", pause=first["pause"])
        assert context["call"] == context["step"] == 1  # a model call: its own request
        client.resolve(first["pause"], "step")
        second = paused_at(client)
        assert second["reason"] == "stepped to the next step"
        assert second["owner"] == client.request("attach", name="test controller")["label"]
        client.resolve(second["pause"], "continue")
        code, _out, _err = a.finish()
    assert code == 0
    assert a.steps()[("llm", "think")].attributes["agentreel.decision.reason"] == "stepped"


def test_a_pause_times_out_and_the_agent_continues(agent: Any) -> None:
    a: Agent = agent(BREAK="tool:write_note", PAUSE_TIMEOUT="0.3")
    a.go()
    code, out, _err = a.finish()
    assert code == 0
    assert "wrote b.txt: second" in out
    step = a.steps()[("tool", "write_note a.txt")]
    assert step.attributes["agentreel.pause.resolution"] == "timeout"
    assert step.attributes["agentreel.pause.waited_s"] >= 0.25
    assert step.attributes["agentreel.decision.hook"] == "breakpoint (timed out)"


def test_a_controller_leaving_resumes_its_pauses_and_removes_its_breakpoints(agent: Any) -> None:
    a: Agent = agent()
    client = a.connect()
    client.request("break", spec="tool:write_note")
    a.go()
    paused_at(client)
    client.close()
    code, out, _err = a.finish()
    assert code == 0
    assert out.splitlines()[-1] == "done"
    steps = a.steps()
    first = steps[("tool", "write_note a.txt")]
    assert first.attributes["agentreel.pause.resolution"] == "continue"
    assert first.attributes["agentreel.decision.hook"].endswith(" left")
    # Its breakpoint went with it: the second call did not pause.
    assert "agentreel.pause.reason" not in steps[("tool", "write_note b.txt")].attributes


def test_garbage_gets_errors_and_harms_nobody(agent: Any) -> None:
    a: Agent = agent(BREAK="tool:write_note")
    with a.connect() as client:
        client.send_raw(b"this is not json\n\n[1, 2]\n\xff\xfe\n")
        errors = [wait_until(lambda: client.next_event(1.0)) for _ in range(3)]
        assert [e["error"]["code"] for e in errors] == ["bad_json", "bad_request", "bad_json"]
        bad = [
            ({"op": "launch"}, "unknown_op"),
            ({"op": "break", "spec": "if __import__('os')"}, "refused"),
            ({"op": "break"}, "bad_request"),
            ({"op": "resolve", "pause": 1, "action": "exec"}, "bad_request"),
            ({"op": "resolve", "pause": 99, "action": "continue"}, "no_such_pause"),
            ({"op": "resolve", "pause": 1, "action": "edit"}, "bad_request"),
            ({"op": "clear", "breakpoint": 7}, "refused"),
        ]
        for request, code in bad:
            op = str(request.pop("op"))
            with pytest.raises(ControlError) as caught:
                client.request(op, **request)
            assert caught.value.code == code, (op, request, caught.value)
        # The connection still works, and so does the agent.
        a.go()
        client.resolve(paused_at(client)["pause"], "continue")
        client.resolve(paused_at(client)["pause"], "continue")
        code, out, _err = a.finish()
    assert code == 0
    assert out.splitlines()[-1] == "done"


def test_an_overlong_line_closes_only_that_connection(agent: Any) -> None:
    a: Agent = agent(BREAK="tool:write_note", PAUSE_TIMEOUT="0.2")
    from agentreel.hooks._client import MAX_LINE

    with a.connect(None) as client:
        client.send_raw(b"x" * (MAX_LINE + 10))
        closing = wait_until(lambda: client.next_event(1.0))
        assert closing["error"]["code"] == "too_long"
        assert client.next_event(5.0) == {"type": "closed"}
    with a.connect() as other:
        assert other.request("pauses") == []
    a.go()
    code, _out, _err = a.finish()
    assert code == 0


def test_the_socket_is_owner_only_and_stale_sockets_are_removed(agent: Any, home: Any) -> None:
    from agentreel.hooks._client import live_processes

    a: Agent = agent()
    directory = a.socket.parent
    assert directory.stat().st_mode & 0o777 == 0o700
    assert a.socket.stat().st_mode & 0o777 == 0o600
    stale = directory / "999999999.sock"  # no such pid
    stale.write_text("")
    found = live_processes(directory)
    assert [p.pid for p in found] == [a.proc.pid]
    assert found[0].sessions[0]["name"] == "live-notes"
    assert not stale.exists()
    a.go()
    assert a.finish()[0] == 0
    assert not a.socket.exists()  # removed at exit
    assert json.loads("[]") == [p.pid for p in live_processes(directory)]


def test_interrupt_pauses_the_next_step_and_watchers_see_steps(agent: Any) -> None:
    a: Agent = agent()
    with a.connect() as client:
        assert client.request("watch", steps=True) == {"steps": True}
        assert client.request("interrupt") == {"pausing": "before the next step"}
        client.request("break", spec="tool", once=True)
        a.go()
        seen: list[tuple[Any, ...]] = []
        pauses: list[dict[str, Any]] = []
        # Observers report on their own thread: collect until both pauses came
        # and the model call's end was told (the agent waits at the tool meanwhile).
        while len(pauses) < 2 or (1, "think", "ok") not in seen:
            event = client.next_event(10.0)
            assert event is not None and event["type"] != "closed", (seen, pauses)
            if event.get("event") == "step":
                seen.append((event["step"], event["name"], event["status"]))
            elif event.get("event") == "paused":
                pauses.append(event["pause"])
                if len(pauses) == 1:
                    client.resolve(event["pause"]["pause"], "continue")
        # The run ends right after this; the answer still arrives.
        assert client.resolve(pauses[1]["pause"], "continue") == {"pause": 2, "action": "continue"}
        code, _out, _err = a.finish()
    assert code == 0
    assert [(p["name"], p["reason"]) for p in pauses] == [
        ("think", "stepped to the next step"),
        ("write_note", "breakpoint 1 (tool)"),
    ]
    assert seen[:2] == [(1, "think", "running"), (1, "think", "ok")]
