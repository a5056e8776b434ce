"""An agent for the live tests, run as its own process: a model call, then two tool calls.

``python agent.py DB`` records into DB. It prints ``ready SESSION_ID`` once its
control channel listens, then waits for a line on standard input before its
steps run, so that a test can attach and set breakpoints first. Environment:
``BREAK`` sets a breakpoint in code; ``PAUSE_TIMEOUT`` shortens the pause timeout.
"""

from __future__ import annotations

import os
import sys

import agentreel
from agentreel.errors import StepVetoed
from agentreel.hooks._breakpoints import breakpoint
from agentreel.hooks._socket import start_control

timeout = os.environ.get("PAUSE_TIMEOUT")
agentreel.configure(
    db=sys.argv[1], flush_interval=0.05, pause_timeout=float(timeout) if timeout else None
)


@agentreel.llm(name="think")
def think(messages: list[dict[str, str]]) -> dict[str, str]:
    return {"role": "assistant", "content": "write the notes"}


@agentreel.tool
def write_note(path: str, text: str) -> str:
    print(f"wrote {path}: {text}", flush=True)
    return f"{len(text)} chars"


with agentreel.session("live-notes") as session:
    if os.environ.get("BREAK"):
        breakpoint(os.environ["BREAK"])
    else:
        start_control()
    print("ready", session.id, flush=True)
    sys.stdin.readline()
    think([{"role": "user", "content": "take two notes"}])
    for path, text in (("a.txt", "first"), ("b.txt", "second")):
        try:
            print("result", write_note(path, text), flush=True)
        except StepVetoed as exc:
            print("vetoed", path, exc.reason, flush=True)
print("done", flush=True)
