"""Small scripted agents: decorated tools and a canned model, with call counters.

The counters count how often each function *body* ran, so a test can tell a
served call (body skipped) from a live one.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from typing import Any

import agentreel

CALLS: Counter[str] = Counter()
FILES: dict[str, str] = {}
#: Answers of the canned model: the content for each user message, in turn.
SCRIPT: dict[str, list[str]] = {}
_served_turns: Counter[str] = Counter()
_ids = itertools.count(1)


def reset() -> None:
    CALLS.clear()
    _served_turns.clear()
    FILES.clear()
    FILES.update({"calc.py": "def div(a, b):\n    return a / b\n", "notes.md": "divide safely"})
    SCRIPT.clear()


def completion(content: str) -> dict[str, Any]:
    """An OpenAI chat completion as a dict, with a fresh id and time like the real API."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 20 + next(_ids) % 5, "completion_tokens": 5},
    }


def content(reply: dict[str, Any]) -> str:
    return str(reply["choices"][0]["message"]["content"])


@agentreel.llm
def ask(messages: list[dict[str, Any]], model: str = "gpt-4o-mini") -> dict[str, Any]:
    CALLS["ask"] += 1
    last = str(messages[-1]["content"])
    turns = SCRIPT.get(last)
    if turns:
        n = _served_turns[last]
        _served_turns[last] += 1
        return completion(turns[min(n, len(turns) - 1)])
    return completion(f"ok: {last[:40]}")


@agentreel.tool
def read_file(path: str) -> str:
    CALLS["read_file"] += 1
    if path not in FILES:
        raise FileNotFoundError(2, "No such file or directory", path)
    return FILES[path]


@agentreel.tool
def write_file(path: str, text: str) -> int:
    CALLS["write_file"] += 1
    FILES[path] = text
    return len(text)


@agentreel.tool
def run_tests(target: str) -> dict[str, Any]:
    CALLS["run_tests"] += 1
    ok = "if b == 0" in FILES.get("calc.py", "")
    return {"target": target, "passed": 3 if ok else 2, "failed": 0 if ok else 1}


@agentreel.retrieval
def search(query: str) -> list[dict[str, Any]]:
    CALLS["search"] += 1
    return [{"doc": "notes.md", "score": 0.9, "query": query}]


@agentreel.agent(name="fixer")
def fixer(path: str = "calc.py") -> str:
    source = read_file(path)
    reply = ask([{"role": "system", "content": "fix it"}, {"role": "user", "content": source}])
    write_file(
        path, source.replace("return a / b", "if b == 0:\n        return 0\n    return a / b")
    )
    result = run_tests("tests/")
    return f"{content(reply)} | passed={result['passed']} failed={result['failed']}"


@agentreel.tool
async def fetch(url: str, delay: float) -> str:
    CALLS["fetch"] += 1
    await asyncio.sleep(delay)
    return f"page {url}"


#: Per-url delays before each fetch starts; a test changes them between runs.
DELAYS: dict[str, float] = {}


async def _worker(url: str) -> str:
    await asyncio.sleep(DELAYS.get(url, 0.0))
    return await fetch(url, 0.0)


@agentreel.agent(name="crawler")
async def crawler(urls: list[str]) -> list[str]:
    pages = await asyncio.gather(*(_worker(u) for u in urls))
    summary = ask([{"role": "user", "content": " ".join(pages)}])
    return [*pages, content(summary)]


@agentreel.agent(name="planner")
def planner(task: str) -> str:
    hits = search(task)
    return content(ask([{"role": "user", "content": f"plan: {task} using {hits[0]['doc']}"}]))


@agentreel.agent(name="coder")
def coder(plan: str) -> str:
    source = read_file("calc.py")
    reply = ask([{"role": "user", "content": f"apply {plan} to {source}"}])
    write_file(
        "calc.py", source.replace("return a / b", "if b == 0:\n        return 0\n    return a / b")
    )
    return content(reply)


@agentreel.agent(name="reviewer")
def reviewer() -> str:
    source = read_file("calc.py")
    result = run_tests("tests/")
    verdict = f"passed={result['passed']} failed={result['failed']}"
    reply = ask([{"role": "user", "content": f"review {source} with {verdict}"}])
    return content(reply)


@agentreel.agent(name="lead")
def lead(task: str) -> list[str]:
    """A multi-agent hand-off: planner, then coder, then reviewer."""
    plan = planner(task)
    return [plan, coder(plan), reviewer()]
