"""An agent for the server-link tests: ``agent.py``'s steps, sending to a server.

``python linked_agent.py URL SPOOL`` records to the ``agentreel serve`` at URL
(``configure(endpoint=...)``, with ``$AGENT_KEY`` as its API key) with its
control channel on, so the channel links to that server; ``AGENTREEL_BREAK``
sets breakpoints. It prints ``ready SESSION_ID`` once the server has answered
its link's first poll (``linked no SESSION_ID`` if it has not within
``$LINK_WAIT`` seconds, default 10), then waits for a line on standard input
before its steps run. ``LINK_DEBUG=1`` logs the link's requests with their
times, and dumps the threads' stacks on SIGUSR1.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys

import agentreel
from agentreel.errors import RunAborted, StepVetoed
from agentreel.hooks import server_link

if os.environ.get("LINK_DEBUG"):  # the link's requests and their times, on stderr
    logging.basicConfig(level=logging.DEBUG, format="%(relativeCreated)d %(message)s")
    faulthandler.register(signal.SIGUSR1)  # the threads' stacks, when a test is stuck
timeout = os.environ.get("PAUSE_TIMEOUT")
agentreel.configure(
    endpoint=sys.argv[1],
    api_key=os.environ.get("AGENT_KEY") or None,
    spool_dir=sys.argv[2],
    flush_interval=0.05,
    pause_timeout=float(timeout) if timeout else None,
    control=True,
)


@agentreel.llm(name="think")
def think(messages: list[dict[str, str]]) -> dict[str, str]:
    return {"role": "assistant", "content": "write the notes"}


@agentreel.tool
def write_note(path: str, text: str) -> str:
    print(f"wrote {path}: {text}", flush=True)
    return f"{len(text)} chars"


with agentreel.session("linked-notes") as session:
    link = server_link()
    linked = link is not None and link.connected.wait(float(os.environ.get("LINK_WAIT", "10")))
    print("ready" if linked else "linked no", session.id, flush=True)
    sys.stdin.readline()
    try:
        think([{"role": "user", "content": "take two notes"}])
        for path, text in (("a.txt", "first"), ("b.txt", "second")):
            try:
                print("result", write_note(path, text), flush=True)
            except StepVetoed as exc:
                print("vetoed", path, exc.reason, flush=True)
    except RunAborted:
        print("aborted", flush=True)
print("done", flush=True)
print("stats", agentreel.stats().get("control_link_errors", 0), flush=True)
