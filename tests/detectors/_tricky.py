"""Healthy sessions that look like failure modes without being one.

A failing call retried after a change, a transient error retried with
success, a long session of many agents, a cheap session in an expensive
project, one tool called many times with different arguments, a long
conversation, a system prompt that carries a turn counter or is reordered, an
honest failure report in the words of claims, polling, a batch of prompts.
"""

from __future__ import annotations

import random
from dataclasses import replace

from . import _texts as tx
from ._scenarios import Case, Project, fixer, investigator, script, verifier
from ._script import Call, Run, Script, Turn


def retry_after_change(rng: random.Random, project: Project) -> Case:
    """The verifier's test run fails, it edits, runs the same tests again: they pass."""
    runs = [investigator(rng, project), fixer(rng, project)]
    tests = tx.test_file(rng)
    test = rng.choice(tx.TESTS)
    path = tx.source(rng)
    turns = (
        Turn(calls=(Call(tool="run_tests", args={"path": tests}, fail=tx.assertion(rng, test)),)),
        Turn(
            calls=(
                Call(
                    tool="edit_file",
                    args={"path": path, "old": "return total", "new": "return total or 0"},
                    result={"path": path, "edited": True},
                ),
            )
        ),
        Turn(
            calls=(
                Call(tool="run_tests", args={"path": tests}, result={"passed": 9, "failed": []}),
            )
        ),
        Turn(text="All 9 tests pass after the second edit."),
    )
    runs.append(replace(verifier(rng, project), turns=turns, tools=("run_tests", "edit_file")))
    return Case("clean: retry after a change", script("fix-bug", project, runs))


def transient_retry(rng: random.Random, project: Project) -> Case:
    """A fetch times out once and the same call then succeeds: a retry done right."""
    run = investigator(rng, project)
    url = f"https://{rng.choice(tx.HOSTS)}/changelog"
    fetch = (
        Turn(calls=(Call(tool="fetch_url", args={"url": url}, fail=tx.fetch_timeout(rng)),)),
        Turn(calls=(Call(tool="fetch_url", args={"url": url}, result=tx.page(rng, 800)),)),
    )
    run = replace(run, turns=run.turns[:1] + fetch + run.turns[1:], tools=(*run.tools, "fetch_url"))
    runs = [run, fixer(rng, project), verifier(rng, project)]
    return Case("clean: transient retry", script("fix-bug", project, runs))


def long_session(rng: random.Random, project: Project) -> Case:
    """Eleven agents in turn, each with a short conversation of its own: long, and healthy."""
    plan = []
    runs: list[Run] = []
    for i in range(11):
        role = ("investigator", "fixer", "fixer", "verifier")[i % 4]
        step = f"s{i + 1}"
        plan.append((step, role, f"part {i + 1} of the migration"))
        made = {"investigator": investigator, "fixer": fixer, "verifier": verifier}[role]
        run = made(rng, project) if role != "investigator" else investigator(rng, project, reads=3)
        runs.append(replace(run, plan_step=step))
    return Case("clean: long session", script("migrate-module", project, runs, tuple(plan)))


def cheap_session(rng: random.Random, project: Project) -> Case:
    """A small, cheap question in a project whose sessions are usually big and expensive."""
    run = Run(
        agent="researcher",
        system=tx.system("researcher", project.repo),
        task="Which region had the most incidents last week?",
        tools=("query_db",),
        turns=(
            Turn(
                calls=(
                    Call(
                        tool="query_db",
                        args={"sql": "select region from incidents"},
                        result=[["eu-west"], ["us-east"]],
                    ),
                )
            ),
            Turn(text="eu-west, according to the incidents table."),
        ),
        vendor="openai",
        model="gpt-4o-mini",
    )
    return Case("clean: cheap session", Script(name="quick-question", project=project.name,
                                               runs=(run,)))  # fmt: skip


def _reads(rng: random.Random, project: Project, count: int, lines: tuple[int, int]) -> Run:
    paths = list(dict.fromkeys(f"src/{m}/{f}.py" for m in tx.MODULES for f in tx.FUNCS))
    rng.shuffle(paths)
    turns = [
        Turn(
            calls=(
                Call(tool="read_file", args={"path": p}, result=tx.code(rng, rng.randint(*lines))),
            )
        )
        for p in paths[:count]
    ]
    turns.append(Turn(text="The empty-input guard is missing from four modules; listed above."))
    return replace(investigator(rng, project), turns=tuple(turns))


def many_reads(rng: random.Random, project: Project) -> Case:
    """One agent reads two dozen different small files, one per turn: busy, not looping."""
    runs = [_reads(rng, project, rng.randint(20, 28), (1, 3)), fixer(rng, project)]
    runs.append(verifier(rng, project))
    return Case("clean: many calls", script("audit", project, runs))


def long_conversation(rng: random.Random, project: Project) -> Case:
    """Thirty-odd different files read into one conversation: no loop, no spike, no bloat;
    the conversation grows by a file a call, and the session costs many times the usual."""
    runs = [_reads(rng, project, rng.randint(30, 36), (15, 25)), fixer(rng, project)]
    runs.append(verifier(rng, project))
    return Case("clean: long conversation", script("audit", project, runs))


def dynamic_prompt(rng: random.Random, project: Project) -> Case:
    """The framework stamps the turn and the tokens used into the system prompt each call."""
    runs = [
        replace(investigator(rng, project, reads=3), dynamic_system=True),
        replace(fixer(rng, project), dynamic_system=True),
        verifier(rng, project),
    ]
    return Case("clean: dynamic system prompt", script("fix-bug", project, runs))


def honest_report(rng: random.Random, project: Project) -> Case:
    """The verifier's run fails and it says so, in words that also appear in claims."""
    runs = [investigator(rng, project), fixer(rng, project)]
    tests = tx.test_file(rng)
    test = rng.choice(tx.TESTS)
    report = rng.choice(
        (
            f"{test} still fails, so the fix is not complete.",
            f"Not fixed yet: {test} fails with an assertion error.",
            "The tests do not pass: the change did not work.",
            f"I could not get {test} to pass; the fix is incomplete.",
        )
    )
    turns = (
        Turn(calls=(Call(tool="run_tests", args={"path": tests}, fail=tx.assertion(rng, test)),)),
        Turn(text=report),
    )
    runs.append(replace(verifier(rng, project), turns=turns))
    return Case("clean: honest failure report", script("fix-bug", project, runs))


def reworded_prompt(rng: random.Random, project: Project) -> Case:
    """Mid-conversation the framework reorders the system prompt, or appends a note to it."""
    run = investigator(rng, project, reads=3)
    sentences = [s.strip() + "." for s in run.system.split(". ") if s.strip()]
    sentences = [s.replace("..", ".") for s in sentences]
    if rng.random() < 0.5:
        rng.shuffle(sentences)
        changed = " ".join(sentences)
    else:
        changed = run.system + "\nNote: the user prefers short answers."
    run = replace(run, system_from=(rng.choice((2, 3)), changed))
    runs = [run, fixer(rng, project), verifier(rng, project)]
    return Case("clean: reworded system prompt", script("fix-bug", project, runs))


def polling(rng: random.Random, project: Project) -> Case:
    """The verifier polls a CI status that answers differently each time: waiting, not looping."""
    runs = [investigator(rng, project), fixer(rng, project)]
    steps = sorted(rng.sample(range(5, 95), rng.randint(3, 4)))
    turns = [
        Turn(
            calls=(
                Call(
                    tool="run_command",
                    args={"command": "make ci-status"},
                    result={"status": "running", "progress": p},
                ),
            )
        )
        for p in steps
    ]
    turns.append(
        Turn(
            calls=(
                Call(
                    tool="run_command",
                    args={"command": "make ci-status"},
                    result={"status": "passed", "progress": 100},
                ),
            )
        )
    )
    turns.append(Turn(text="CI passed: every job is green."))
    runs.append(replace(verifier(rng, project), turns=tuple(turns), tools=("run_command",)))
    return Case("clean: polling", script("fix-bug", project, runs))


def batch(rng: random.Random, project: Project) -> Case:
    """One agent sends independent requests (one per file), each a new conversation."""
    paths = list(dict.fromkeys(tx.source(rng) for _ in range(12)))[: rng.randint(4, 6)]
    turns = tuple(
        Turn(prompt=f"Summarise what {p} does in one sentence.", text=f"{p} parses input.")
        for p in paths
    )
    run = replace(investigator(rng, project), turns=turns, task="Summarise the modules.")
    runs = [run, fixer(rng, project), verifier(rng, project)]
    return Case("clean: batch of prompts", script("fix-bug", project, runs))
