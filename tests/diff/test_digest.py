"""request_digest and the normalisation under it: ids, times and masks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import agentreel
from agentreel._redact import MASK
from agentreel.diff import REDACTED, diff_sessions, normalise, request_digest
from agentreel.storage import MemoryStore, SQLiteStore, load_payload

from ._build import S, batch
from .conftest import Recorded


def test_the_same_request_recorded_twice_has_the_same_digest(recorded: Recorded) -> None:
    store = recorded.store
    steps_a = store.get_steps(recorded.ids["base"])
    steps_b = store.get_steps(recorded.ids["again"])
    # The second model call resends the first answer, whose call id was random.
    raw_a, raw_b = (
        load_payload(store, steps_a[4].input_ref),
        load_payload(store, steps_b[4].input_ref),
    )
    assert raw_a["messages"][3]["tool_call_id"] != raw_b["messages"][3]["tool_call_id"]
    for a, b in zip(steps_a, steps_b, strict=True):
        assert (a.span_id, a.started_at) != (b.span_id, b.started_at)
        assert request_digest(a, store) == request_digest(b, store)


def test_a_different_request_has_a_different_digest(recorded: Recorded) -> None:
    store = recorded.store
    base = store.get_steps(recorded.ids["base"])
    prompt = store.get_steps(recorded.ids["prompt"])
    assert request_digest(base[1], store) != request_digest(prompt[1], store)
    assert len({request_digest(s, store) for s in base}) == len(base)


def test_kind_and_name_are_part_of_the_digest(tmp_path: Path) -> None:
    steps = [
        S(kind="tool", name="read", input={"path": "a"}),
        S(kind="tool", name="read", input={"path": "a"}),
        S(kind="retrieval", name="read", input={"path": "a"}),
        S(kind="tool", name="open", input={"path": "a"}),
        S(kind="tool", name="open"),
    ]
    store = MemoryStore()
    store.write(batch("c" * 32, "kinds", steps))
    digests = [request_digest(s, store) for s in store.get_steps("c" * 32)]
    assert digests[0] == digests[1]
    assert len(set(digests)) == 4


def test_the_digest_is_the_same_in_another_process_and_store(
    recorded: Recorded, tmp_path: Path
) -> None:
    step = recorded.store.get_step(recorded.ids["base"], 5)
    script = (
        "import sys\n"
        "from agentreel.diff import request_digest\n"
        "from agentreel.storage import SQLiteStore\n"
        "store = SQLiteStore(sys.argv[1], create=False)\n"
        "print(request_digest(store.get_step(sys.argv[2], 5), store))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(recorded.path), recorded.ids["base"]],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert out.stdout.strip() == request_digest(step, recorded.store)
    assert len(out.stdout.strip()) == 64


def test_the_recorders_mask_is_the_one_the_diff_knows() -> None:
    assert REDACTED == MASK


@agentreel.tool
def call_api(url: str, api_key: str) -> str:
    return "ok"


def test_redacted_secrets_compare_equal(tmp_path: Path) -> None:
    db = tmp_path / "secrets.db"
    ids: list[str] = []
    for redact, key in [
        (True, "sk-live-aaaaaaaaaaaaaaaaaaaa"),
        (True, "sk-live-bbbbbbbbbbbbbbbbbbbb"),
        (False, "sk-live-cccccccccccccccccccc"),
    ]:
        agentreel.configure(db=db, redact=redact, flush_interval=0.05)
        with agentreel.session("call") as session:
            call_api("https://api.example.com", key)
        ids.append(session.id)
        agentreel.shutdown()
    store = SQLiteStore(db, create=False)
    try:
        steps = [store.get_step(i, 1) for i in ids]
        assert load_payload(store, steps[0].input_ref)["api_key"] == MASK
        digests = [request_digest(s, store) for s in steps]
        # Two masked recordings: the same request, whatever the secret was.
        assert digests[0] == digests[1]
        # An unmasked recording digests differently, but the field comparison
        # lets the mask stand for the secret, as replay does.
        assert digests[2] != digests[0]
        assert diff_sessions(store, ids[0], ids[2]).identical
        assert diff_sessions(store, ids[0], ids[1]).identical
    finally:
        store.close()


def test_normalise_renumbers_generated_ids_and_keeps_their_links() -> None:
    conversation: dict[str, Any] = {
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "call_X1", "type": "function", "function": {"name": "f"}},
                    {"id": "call_Y2", "type": "function", "function": {"name": "g"}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_Y2", "content": "g says"},
            {"role": "tool", "tool_call_id": "call_X1", "content": "f says"},
        ]
    }
    got = normalise(conversation)
    calls = got["messages"][1]["tool_calls"]
    assert [c["id"] for c in calls] == ["<id 1>", "<id 2>"]
    assert [m["tool_call_id"] for m in got["messages"][2:]] == ["<id 2>", "<id 1>"]
    assert conversation["messages"][2]["tool_call_id"] == "call_Y2"  # the input is not touched


def test_normalise_drops_response_times_but_keeps_data_ids() -> None:
    response = {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1735826585,
        "system_fingerprint": "fp_123",
        "model": "gpt-4o-mini",
        "choices": [],
    }
    assert normalise(response) == {
        "id": "<id 1>",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [],
    }
    anthropic = {
        "id": "msg_01",
        "type": "message",
        "content": [{"type": "tool_use", "id": "toolu_9"}],
    }
    # Keys are visited in sorted order: "content" comes before "id".
    assert normalise(anthropic) == {
        "id": "<id 2>",
        "type": "message",
        "content": [{"type": "tool_use", "id": "<id 1>"}],
    }
    # An id that is the agent's own data, and a "created" outside a response, stay.
    data = {"user": {"id": "u-42", "created": 1735826585}, "plan": [{"id": "s1"}]}
    assert normalise(data) == data
