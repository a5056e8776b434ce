"""Matching details: digests agree with agentreel.diff, secrets masks match their originals."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

import agentreel
from agentreel.diff import request_digest
from agentreel.replay import load_recording

from . import _agents
from ._agents import CALLS
from .conftest import Reel

SECRET = "sk-live-0123456789abcdefghijklmnop"


@agentreel.tool
def call_api(url: str, api_key: str) -> dict[str, Any]:
    CALLS["call_api"] += 1
    return {"status": 200, "session_token": "tok-" + api_key[-6:]}


def test_the_replay_digest_is_the_diff_digest(reel: Reel) -> None:
    original = reel.record("team", lambda: _agents.lead("guard division"))
    store = reel.reader()
    try:
        recording = load_recording(store, original)
        for number, recorded in recording.steps.items():
            assert recorded.digest == request_digest(store.get_step(original, number), store)
    finally:
        store.close()


def test_generated_ids_in_requests_do_not_break_matching(reel: Reel) -> None:
    # The program makes up a fresh tool call id on every run, as model APIs do;
    # ids under tool_call_id are normalised away before requests are compared.
    def chat() -> None:
        call_id = f"call_{uuid.uuid4().hex}"
        _agents.ask(
            [
                {"role": "user", "content": "hello"},
                {"role": "tool", "tool_call_id": call_id, "content": "42"},
            ]
        )

    original = reel.record("chat", chat)
    _agents.reset()
    with agentreel.replay(original, db=reel.path) as r:
        chat()
    assert r.result.ok and r.result.served == 1 and CALLS == {}


def test_a_redacted_secret_in_a_request_matches_the_live_secret(reel: Reel) -> None:
    original = reel.record("api", lambda: call_api("https://api.example/v1", SECRET))
    store = reel.reader()
    try:
        recording = load_recording(store, original)
    finally:
        store.close()
    assert recording.steps[1].input == {"url": "https://api.example/v1", "api_key": "[REDACTED]"}
    CALLS.clear()
    with agentreel.replay(original, db=reel.path) as r:
        call_api("https://api.example/v1", SECRET)
    assert r.result.ok and r.result.served == 1 and CALLS == {}


def test_a_secret_mask_served_back_is_reported(
    reel: Reel, caplog: pytest.LogCaptureFixture
) -> None:
    original = reel.record("api", lambda: call_api("https://api.example/v1", SECRET))
    CALLS.clear()
    # The recorder masked the token in the output too (its key says it is a secret).
    with caplog.at_level(logging.WARNING, logger="agentreel"):
        with agentreel.replay(original, db=reel.path, record=False) as r:
            served = call_api("https://api.example/v1", SECRET)
    assert served == {"status": 200, "session_token": "[REDACTED]"}
    assert len(r.result.notes) == 1
    assert "output.session_token" in r.result.notes[0]
    assert "secret mask" in r.result.notes[0]
    assert r.result.notes[0] in caplog.text
    assert "note: " + r.result.notes[0] in r.result.render()


@agentreel.agent
def worker(topic: str) -> Any:
    return _agents.ask([{"role": "user", "content": topic}])


def test_sibling_agents_started_in_another_order_find_their_own_calls(reel: Reel) -> None:
    # Threads start sibling agents in whatever order they are scheduled; each
    # replayed agent must find the recorded one with its own input.
    original = reel.record("pool", lambda: [worker(t) for t in ("red", "green", "blue")])
    _agents.reset()
    with agentreel.replay(original, db=reel.path) as r:
        answers = [worker(t) for t in ("blue", "red", "green")]
    assert r.result.ok, r.result.divergences
    assert r.result.served == 3 and CALLS == {}
    assert answers == [reel.outputs(original)[n] for n in (6, 2, 4)]
