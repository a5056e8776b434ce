"""Tool misuse and loops injected: unknown tools, bad arguments, failing habits, circles."""

from __future__ import annotations

import random
from dataclasses import replace

from . import _texts as tx
from ._inject import INV, VER, insert, three
from ._scenarios import Case, Label, Project, script
from ._script import Call, Turn


def unknown_tool(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    if rng.random() < 0.5:
        name = rng.choice(("git_blame", "delete_branch", "http_post", "open_browser"))
        call = Call(tool=name, args={"target": tx.source(rng)})
        where: tuple = (("llm", INV, 1),)
    else:  # a real tool, but not one this agent was offered: the framework runs it anyway
        path = tx.source(rng)
        call = Call(
            tool="write_file",
            args={"path": path, "content": "pass\n"},
            result={"path": path, "written": True},
        )
        where = (("llm", INV, 1), ("tool", INV, 1, 0))
    runs[INV] = insert(runs[INV], 1, [Turn(calls=(call,))])
    runs[INV] = replace(runs[INV], tools=tuple(t for t in runs[INV].tools if t != call.tool))
    label = Label("tool-misuse", "unknown-tool", where)
    return Case("unknown tool", script("fix-bug", project, runs), (label,))


def off_schema(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    path = tx.source(rng)
    choice = rng.randrange(4 if runs[INV].vendor == "openai" else 3)
    content = tx.code(rng, 10)
    if choice == 0:  # wrong type, run anyway
        call = Call(tool="read_file", args={"path": path, "start_line": "ten"}, result=content)
        where: tuple = (("llm", INV, 1), ("tool", INV, 1, 0))
    elif choice == 1:
        call = Call(tool="read_file", args={"path": rng.randint(1, 99)}, result=content)
        where = (("llm", INV, 1), ("tool", INV, 1, 0))
    elif choice == 2:  # a required argument missing: the framework refuses
        call = Call(tool="read_file", args={"file": path})
        where = (("llm", INV, 1),)
    else:  # not JSON at all
        call = Call(tool="read_file", args={"path": path}, raw='{"path": "' + path)
        where = (("llm", INV, 1),)
    runs[INV] = insert(runs[INV], 1, [Turn(calls=(call,))])
    label = Label("tool-misuse", "schema-violation", where)
    return Case("arguments off schema", script("fix-bug", project, runs), (label,))


def retried(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    attempts = rng.choice((2, 2, 3))
    if rng.random() < 0.5:
        url = f"https://{rng.choice(tx.HOSTS)}/release-notes"
        turns = [
            Turn(calls=(Call(tool="fetch_url", args={"url": url}, fail=tx.fetch_timeout(rng)),))
            for _ in range(attempts)
        ]
        other = {"url": url.replace("release-notes", "mirror/release-notes")}
        turns.append(Turn(calls=(Call(tool="fetch_url", args=other, result=tx.page(rng, 600)),)))
        tool = "fetch_url"
    else:
        query = rng.choice(tx.FUNCS)
        turns = [
            Turn(
                calls=(
                    Call(
                        tool="search_code", args={"query": query}, fail=tx.index_rate_limited(rng)
                    ),
                )
            )
            for _ in range(attempts)
        ]
        turns.append(
            Turn(calls=(Call(tool="read_file", args={"path": tx.source(rng)}, result="pass"),))
        )
        tool = "search_code"
    runs[INV] = insert(runs[INV], 1, turns, tool)
    where = tuple(("tool", INV, 1 + i, 0) for i in range(attempts))
    label = Label("tool-misuse", "retried-unchanged", where)
    return Case("failing call retried unchanged", script("fix-bug", project, runs), (label,))


def streak(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    count = rng.choice((3, 4, 5))
    paths = list(dict.fromkeys(tx.source(rng) for _ in range(20)))[:count]
    turns = [
        Turn(calls=(Call(tool="read_file", args={"path": p}, fail=tx.missing_file(p)),))
        for p in paths
    ]
    turns.append(
        Turn(calls=(Call(tool="search_code", args={"query": "def total"}, result=["src/x.py:3"]),))
    )
    runs[INV] = insert(runs[INV], 1, turns)
    where = tuple(("tool", INV, 1 + i, 0) for i in range(len(paths)))
    label = Label("tool-misuse", "error-streak", where)
    return Case("error streak", script("fix-bug", project, runs), (label,))


CLAIMS = (
    "All {n} tests pass.",
    "The bug is fixed.",
    "Everything is green now.",
    "Task complete: the change works now.",
    "I have fixed the failing test and the suite passes.",
    "Tests pass now.",
    "Done: the suite is green.",
    "Looks good, everything passes now.",
    "The failing test passes now.",
)


def false_success(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    tests = tx.test_file(rng)
    if rng.random() < 0.5:
        first = Call(
            tool="run_tests", args={"path": tests}, fail=tx.assertion(rng, rng.choice(tx.TESTS))
        )
    else:
        first = Call(
            tool="run_tests",
            args={"path": tests},
            result={"passed": 7, "failed": [rng.choice(tx.TESTS)]},
        )
    claim = rng.choice(CLAIMS).format(n=rng.randint(5, 30))
    runs[VER] = replace(runs[VER], turns=(Turn(calls=(first,)), Turn(text=claim)))
    label = Label("tool-misuse", "false-success", (("tool", VER, 0, 0), ("llm", VER, 1)))
    return Case("success claimed after an error", script("fix-bug", project, runs), (label,))


# -- loops ---------------------------------------------------------------------------


def repeated(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    times = rng.choice((3, 4, 5))
    path = tx.source(rng)
    content = tx.code(rng, 12)
    turns = [
        Turn(calls=(Call(tool="read_file", args={"path": path}, result=content),))
        for _ in range(times)
    ]
    runs[INV] = insert(runs[INV], 1, turns)
    where = tuple(("tool", INV, 1 + i, 0) for i in range(times))
    label = Label("loop", "repeated-step", where)
    return Case("repeated step", script("fix-bug", project, runs), (label,))


def cycle(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    a, b = rng.sample([tx.source(rng) for _ in range(6)], 2)
    pattern = [
        Call(tool="read_file", args={"path": a}, result=tx.code(rng, 8)),
        Call(tool="search_code", args={"query": rng.choice(tx.FUNCS)}, result=[f"{b}:4"]),
    ]
    if rng.random() < 0.5:
        pattern.insert(1, Call(tool="read_file", args={"path": b}, result=tx.code(rng, 8)))
    rounds = 3 if len(pattern) == 2 else 2
    turns = [Turn(calls=(call,)) for _ in range(rounds) for call in pattern]
    runs[INV] = insert(runs[INV], 1, turns)
    where = tuple(("tool", INV, 1 + i, 0) for i in range(len(turns)))
    label = Label("loop", "cycle", where)
    return Case("cycle", script("fix-bug", project, runs), (label,))
