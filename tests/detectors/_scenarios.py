"""The corpus's building blocks: labels, projects, and the healthy runs of each project.

A normal run is a plan (investigator, fixer, verifier) carried out by three
agents: the investigator runs the failing tests and reads code, the fixer
reads and edits, the verifier runs the tests and reports. The research
project reads long sources with a large model; the ledger project runs the
same reconciliation every night. ``_tricky`` holds healthy runs that look
like failure modes; ``_faults`` the runs with a failure injected.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import _texts as tx
from ._script import Call, Run, Script, Turn

#: Where a label points: ("llm", run, turn), ("tool", run, turn, call),
#: ("agent", run) or ("plan",).
Where = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Label:
    detector: str
    kind: str
    where: tuple[Where, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    scenario: str
    script: Script
    labels: tuple[Label, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    name: str
    repo: str
    model: str
    vendor: str
    #: Characters of code per file read: sets the usual size of a prompt.
    file_lines: tuple[int, int] = (20, 60)
    tools: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "investigator": ("run_tests", "read_file", "search_code"),
            "fixer": ("read_file", "edit_file", "write_file", "search_code"),
            "verifier": ("run_tests",),
        }
    )


def pick_vendor(rng: random.Random, project: Project) -> tuple[str, str]:
    if project.vendor == "mixed":
        return rng.choice((("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5")))
    return project.vendor, project.model


def investigator(rng: random.Random, project: Project, *, reads: int = 2) -> Run:
    tests = tx.test_file(rng)
    failing = rng.sample(tx.TESTS, 2)
    turns = [
        Turn(
            calls=(
                Call(
                    tool="run_tests",
                    args={"path": tests},
                    result={"passed": rng.randint(4, 30), "failed": failing},
                ),
            )
        )
    ]
    for path in rng.sample([tx.source(rng) for _ in range(8)], reads):
        turns.append(
            Turn(
                calls=(
                    Call(
                        tool="read_file",
                        args={"path": path},
                        result=tx.code(rng, rng.randint(*project.file_lines)),
                    ),
                )
            )
        )
    turns.append(
        Turn(
            text=f"{failing[0]} breaks because {rng.choice(tx.FUNCS)}() ignores an empty input; "
            f"the cause is in {tx.source(rng)} at line {rng.randint(3, 90)}."
        )
    )
    vendor, model = pick_vendor(rng, project)
    return Run(
        agent="investigator",
        system=tx.system("investigator", project.repo),
        task=f"Find out why {tests} fails.",
        tools=project.tools["investigator"],
        turns=tuple(turns),
        vendor=vendor,
        model=model,
        plan_step="s1",
    )


def fixer(rng: random.Random, project: Project) -> Run:
    path = tx.source(rng)
    content = tx.code(rng, rng.randint(*project.file_lines))
    old = content.splitlines()[1]
    turns = (
        Turn(calls=(Call(tool="read_file", args={"path": path}, result=content),)),
        Turn(
            calls=(
                Call(
                    tool="edit_file",
                    args={"path": path, "old": old, "new": old.replace("value", "value or 0")},
                    result={"path": path, "edited": True},
                ),
            )
        ),
        Turn(text=f"Changed one line of {path} so that an empty input counts as zero."),
    )
    vendor, model = pick_vendor(rng, project)
    return Run(
        agent="fixer",
        system=tx.system("fixer", project.repo),
        task=f"Make {path} handle an empty input.",
        tools=project.tools["fixer"],
        turns=turns,
        vendor=vendor,
        model=model,
        plan_step="s2",
    )


def verifier(rng: random.Random, project: Project) -> Run:
    tests = tx.test_file(rng)
    passed = rng.randint(5, 40)
    turns = (
        Turn(
            calls=(
                Call(
                    tool="run_tests", args={"path": tests}, result={"passed": passed, "failed": []}
                ),
            )
        ),
        Turn(text=f"All {passed} tests pass: {passed} passed, 0 failed."),
    )
    vendor, model = pick_vendor(rng, project)
    return Run(
        agent="verifier",
        system=tx.system("verifier", project.repo),
        task=f"Run {tests} and say whether every test passes.",
        tools=project.tools["verifier"],
        turns=turns,
        vendor=vendor,
        model=model,
        plan_step="s3",
    )


PLAN = (
    ("s1", "investigator", "Find out why the tests fail."),
    ("s2", "fixer", "Fix the cause."),
    ("s3", "verifier", "Run the tests and confirm they pass."),
)


def script(name: str, project: Project, runs: list[Run], plan: tuple = PLAN) -> Script:
    return Script(name=name, project=project.name, runs=tuple(runs), plan=plan)


def normal(rng: random.Random, project: Project) -> Case:
    runs = [investigator(rng, project, reads=rng.randint(1, 3)), fixer(rng, project)]
    runs.append(verifier(rng, project))
    return Case("clean", script("fix-bug", project, runs))


def research(rng: random.Random, project: Project) -> Case:
    """The expensive project's usual session: long sources read by a large model."""
    turns = [
        Turn(
            calls=(
                Call(
                    tool="fetch_url",
                    args={"url": f"https://{rng.choice(tx.HOSTS)}/{tx.hexid(rng, 6)}"},
                    result=tx.page(rng, rng.randint(2500, 4000)),
                ),
            )
        )
        for _ in range(rng.randint(3, 4))
    ]
    turns.append(Turn(text="The sources agree: rollouts fail when the quota window is too short."))
    run = Run(
        agent="researcher",
        system=tx.system("researcher", project.repo),
        task="Why do rollouts fail in the eu-west region? " + tx.page(rng, 6000),
        tools=("fetch_url",),
        turns=tuple(turns),
        vendor=project.vendor,
        model=project.model,
    )
    return Case("clean", Script(name="research", project=project.name, runs=(run,)))


def ledger(rng: random.Random, project: Project) -> Case:
    """A nightly reconciliation, the same every night (the burn-rate project's sessions)."""
    del rng
    run = Run(
        agent="reconciler",
        system="You are the reconciler. Compare the ledger with the bank export and list gaps.",
        task="Reconcile yesterday's ledger. " + "Ledger line. " * 900,
        tools=("query_db",),
        turns=(
            Turn(
                calls=(
                    Call(
                        tool="query_db",
                        args={"sql": "select * from ledger"},
                        result=[["2026-01-01", 120.5]] * 200,
                    ),
                )
            ),
            Turn(text="Two gaps: 2026-01-01 and 2026-01-02."),
        ),
        vendor="openai",
        model=project.model,
    )
    return Case("clean", Script(name="reconcile", project=project.name, runs=(run,)))
