"""A recorded session with every kind of span the export maps, for several tests."""

from __future__ import annotations

import agentreel
from agentreel.remote import RemoteStore

QUESTION = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "what is 2+2?"},
]
TOOL_CALL = {
    "choices": [
        {
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "add", "arguments": '{"a": 2, "b": 2}'},
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ]
}


def record_triage(store: RemoteStore) -> str:
    """Record the session into ``store``, close it, and return the session id."""
    agentreel.configure(store=store, flush_interval=0.02)
    with agentreel.session(
        "triage", tags=["nightly", "ci"], metadata={"repo": "calc"}, project="team-a"
    ) as session:
        with agentreel.step("agent", "fixer"):
            with agentreel.step(
                "llm",
                "ask",
                input={"messages": QUESTION},
                model="gpt-4o-mini",
                attributes={
                    "temperature": 0.2,
                    "stop": ["END"],
                    "opts": {"a": 1},
                    "none": None,
                    "label": "[1]",  # a string that looks like JSON, and is not
                },
            ) as llm:
                llm.record_usage(input=12, output=3, cached=4)
                llm.set_output(TOOL_CALL)
            # The blobs of the shared prefix went out with the first call; the
            # second call's input must still arrive whole.
            agentreel.flush()
            with agentreel.step("tool", "add", input={"a": 2, "b": 2}) as tool:
                tool.set_output(4)
            longer = [*QUESTION, {"role": "tool", "tool_call_id": "call_1", "content": "4"}]
            with agentreel.step("llm", "answer", input={"messages": longer}, model="gpt-4o-mini"):
                pass
            try:
                with agentreel.step("tool", "divide", input={"a": 1, "b": 0}):
                    _ = 1 / 0
            except ZeroDivisionError:
                pass
    agentreel.shutdown()
    store.close()
    return session.id
