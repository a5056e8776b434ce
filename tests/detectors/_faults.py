"""Faulty sessions: a normal run with one failure mode injected at a known place.

Each builder returns the case and its labels: which detector should report
which kind of finding at which steps (by position in the script; the corpus
turns positions into step numbers once recorded). Recurring failures are
not labelled here: the corpus labels them from the bugs every session hit.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from . import _faults_drift as drift
from . import _faults_tools as tools
from . import _texts as tx
from ._inject import FIX, INV, VER, insert, three
from ._scenarios import PLAN, Case, Label, Project, script
from ._script import Call, Run, Turn


def session_cost(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    if rng.random() < 0.5:  # someone switched the model to the most expensive one
        model = "claude-opus-4-1" if runs[0].vendor == "anthropic" else "o1"
        runs = [replace(r, model=model) for r in runs]
    else:  # every call carries a large attachment
        pad = rng.randint(9_000, 14_000)
        runs = [
            replace(r, turns=tuple(replace(t, pad=pad + rng.randint(0, 500)) for t in r.turns))
            for r in runs
        ]
    label = Label("cost-spike", "session-cost")
    return Case("session cost spike", script("fix-bug", project, runs), (label,))


def step_cost(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    pad = rng.randint(25_000, 45_000)
    if rng.random() < 0.5:  # a reviewer pastes the whole repository into one prompt
        runs.insert(
            2,
            Run(
                agent="reviewer",
                system=tx.system("reviewer", project.repo),
                task="Review the fix against the rest of the repository.",
                tools=(),
                turns=(Turn(text="Approve: nothing else depends on the changed line.", pad=pad),),
                vendor=runs[0].vendor,
                model=runs[0].model,
                plan_step="s3",
            ),
        )
        runs[3] = replace(runs[3], plan_step="s4")
        plan = (*PLAN[:2], ("s3", "reviewer", "Review the fix."), ("s4", "verifier", "Verify."))
        where: tuple = (("llm", 2, 0),)
    else:  # one call of the fixer attaches a huge log
        turns = list(runs[FIX].turns)
        turns[1] = replace(turns[1], pad=pad)
        runs[FIX] = replace(runs[FIX], turns=tuple(turns))
        plan = PLAN
        where = (("llm", FIX, 1),)
    label = Label("cost-spike", "step-cost", where)
    return Case("step cost spike", script("fix-bug", project, runs, plan), (label,))


def bloat(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    count = rng.randint(6, 8)
    turns = [
        Turn(
            calls=(
                Call(
                    tool="fetch_url",
                    args={"url": f"https://{rng.choice(tx.HOSTS)}/logs/{i}"},
                    result=tx.page(rng, rng.randint(14_000, 22_000)),
                ),
            )
        )
        for i in range(count)
    ]
    runs[INV] = insert(runs[INV], 1, turns, "fetch_url")
    where = tuple(("llm", INV, t) for t in range(len(runs[INV].turns)))
    label = Label("cost-spike", "context-bloat", where)
    return Case("context bloat", script("fix-bug", project, runs), (label,))


# -- failures that come back ----------------------------------------------------------


def comes_back(rng: random.Random, project: Project) -> Case:
    """The demo's story: the tests fail to import, a fix misses, the same error again."""
    runs = three(rng, project)
    tests = tx.test_file(rng)
    module = f"{rng.choice(tx.MODULES)}.{rng.choice(tx.FUNCS)}"
    first = Call(tool="run_tests", args={"path": tests}, fail=tx.import_error(module))
    runs[INV] = replace(runs[INV], turns=(Turn(calls=(first,)), *runs[INV].turns[1:]))
    again = Call(tool="run_tests", args={"path": tests}, fail=tx.import_error(module))
    runs[VER] = replace(
        runs[VER],
        turns=(
            Turn(calls=(again,)),
            Turn(text=f"The tests still fail: No module named '{module}'. Giving up."),
        ),
    )
    return Case("failure comes back", script("fix-bug", project, runs))


def flaky_db(rng: random.Random, project: Project) -> Case:
    """A query hits a locked database, the agent works around it: a bug that recurs."""
    runs = three(rng, project)
    turns = [
        Turn(
            calls=(
                Call(tool="query_db", args={"sql": "select * from orders"}, fail=tx.db_locked(rng)),
            )
        )
    ]
    runs[INV] = insert(runs[INV], 1, turns, "query_db")
    return Case("flaky database", script("fix-bug", project, runs))


# -- known limits: labelled as the truth is, expected to be missed -----------------------


def number_changed(rng: random.Random, project: Project) -> Case:
    """An instruction whose number changes: numbers are masked, so this is not seen."""
    runs = three(rng, project, reads=3)
    system = runs[INV].system + " Never spend more than 5 dollars of API credit."
    at = rng.choice((2, 3))
    runs[INV] = replace(runs[INV], system=system, system_from=(at, system.replace(" 5 ", " 50 ")))
    label = Label("context-drift", "instruction-altered", (("llm", INV, at),))
    return Case("limit: a number in an instruction changed", script("fix-bug", project, runs),
                (label,))  # fmt: skip


def odd_claim(rng: random.Random, project: Project) -> Case:
    """A success claim in words the claim patterns do not know."""
    runs = three(rng, project)
    tests = tx.test_file(rng)
    first = Call(tool="run_tests", args={"path": tests}, fail=tx.assertion(rng, "test_refund"))
    runs[VER] = replace(runs[VER], turns=(Turn(calls=(first,)), Turn(text="Shipped; over to you.")))
    label = Label("tool-misuse", "false-success", (("tool", VER, 0, 0), ("llm", VER, 1)))
    return Case("limit: success claimed in other words", script("fix-bug", project, runs),
                (label,))  # fmt: skip


FAULTS: dict[str, Callable[[random.Random, Project], Case]] = {
    "dropped": drift.dropped,
    "trimmed": drift.trimmed,
    "truncated": drift.truncated,
    "altered": drift.altered,
    "unplanned": drift.unplanned_agent,
    "skipped": drift.skipped_step,
    "unknown": tools.unknown_tool,
    "schema": tools.off_schema,
    "retried": tools.retried,
    "streak": tools.streak,
    "false-success": tools.false_success,
    "repeated": tools.repeated,
    "cycle": tools.cycle,
    "session-cost": session_cost,
    "step-cost": step_cost,
    "bloat": bloat,
    "comes-back": comes_back,
    "flaky-db": flaky_db,
}
LIMITS: dict[str, Callable[[random.Random, Project], Case]] = {
    "number-changed": number_changed,
    "odd-claim": odd_claim,
}
