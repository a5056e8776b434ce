"""A small agent recorded through the public recording API, in variants.

``Fixer`` asks a fake model what to do, reads a file, optionally lints, runs
the tests and asks the model again with the file it read. The fake model
answers like the OpenAI chat API, with a fresh random id for every answer and
tool call and the current time, as a live model would: two recordings of
the same variant differ only in ids and times. The tools read ``WORLD``, so a
test can change what a tool returns without changing what the agent asks.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import agentreel

SYSTEM = "You are a careful engineer.\nFix the failing test.\nNever edit the tests."
TASK = "tests/test_arith.py fails"

#: What the tools see; tests change it between runs (reset by ``record``).
WORLD: dict[str, Any] = {}
_DEFAULT_WORLD = {
    "files": {"calc/arith.py": "def divide(a, b):\n    return a / b\n"},
    "fail": False,
}


@agentreel.llm
def chat(messages: list[dict[str, Any]], model: str = "gpt-4o-mini") -> dict[str, Any]:
    asked_before = any(m["role"] == "tool" for m in messages)
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if asked_before:
        message["content"] = "divide() needs a zero check."
    else:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": "read_file", "arguments": '{"path": "calc/arith.py"}'},
            }
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": time.time_ns(),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }


@agentreel.tool
def read_file(path: str) -> str:
    return str(WORLD["files"].get(path, ""))


@agentreel.tool
def lint(path: str) -> list[str]:
    return []


@agentreel.tool
def run_tests(path: str) -> dict[str, Any]:
    if WORLD["fail"]:
        raise AssertionError("test_divide_by_zero failed")
    return {"passed": 3, "failed": 0}


@agentreel.agent(name="verifier")
def verify(path: str) -> dict[str, Any]:
    return run_tests(path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fixer:
    """One variant of the agent; the defaults are the baseline run.

    Steps of the baseline: 1 agent fixer, 2 llm chat, 3 tool read_file,
    4 tool run_tests, 5 llm chat.
    """

    system: str = SYSTEM
    target: str = "calc/arith.py"
    lint: bool = False
    tests: bool = True
    nested_tests: bool = False

    @agentreel.agent(name="fixer")
    def run(self, task: str) -> str:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self.system},
            {"role": "user", "content": task},
        ]
        reply = chat(messages)["choices"][0]["message"]
        call = reply["tool_calls"][0]
        content = read_file(self.target)
        if self.lint:
            lint("calc")
        if self.tests:
            try:
                verify("tests/") if self.nested_tests else run_tests("tests/")
            except AssertionError:
                pass  # the agent carries on; the recording keeps the failure
        messages += [reply, {"role": "tool", "tool_call_id": call["id"], "content": content}]
        return str(chat(messages)["choices"][0]["message"]["content"])


def record(db: Path, runs: dict[str, tuple[Fixer, dict[str, Any]]]) -> dict[str, str]:
    """Record each named run (a variant and changes to ``WORLD``); their session ids."""
    agentreel.configure(db=db, flush_interval=0.05)
    ids: dict[str, str] = {}
    try:
        for name, (fixer, world) in runs.items():
            WORLD.clear()
            WORLD.update(json.loads(json.dumps(_DEFAULT_WORLD)))
            WORLD.update(world)
            with agentreel.session(name) as session:
                fixer.run(TASK)
            ids[name] = session.id
    finally:
        agentreel.shutdown()
    return ids
