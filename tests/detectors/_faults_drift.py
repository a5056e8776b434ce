"""Context drift injected: instructions dropped, trimmed, cut or altered; plans and rules broken."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from . import _texts as tx
from ._inject import FIX, INV, insert, three
from ._scenarios import PLAN, Case, Label, Project, fixer, script
from ._script import Call, Run, Turn


def _target(rng: random.Random, runs: list[Run]) -> tuple[int, int]:
    """A conversation long enough to drift in, and the turn where it drifts."""
    if rng.random() < 0.6:
        return INV, rng.choice((2, 3))
    return FIX, rng.choice((1, 2))


def dropped(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project, reads=3)
    who, at = _target(rng, runs)
    runs[who] = replace(runs[who], system_from=(at, None))
    label = Label("context-drift", "instruction-dropped", (("llm", who, at),))
    return Case("instruction dropped", script("fix-bug", project, runs), (label,))


def trimmed(rng: random.Random, project: Project) -> Case:
    """The framework keeps only the last messages: the brief falls out of the window."""
    runs = three(rng, project, reads=3)
    who, at = _target(rng, runs)
    runs[who] = replace(runs[who], keep_last_from=(at, 2))
    label = Label("context-drift", "instruction-dropped", (("llm", who, at),))
    return Case("brief trimmed away", script("fix-bug", project, runs), (label,))


def truncated(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project, reads=3)
    who, at = _target(rng, runs)
    system = runs[who].system
    cut = system[: int(len(system) * rng.uniform(0.4, 0.7))]
    runs[who] = replace(runs[who], system_from=(at, cut))
    label = Label("context-drift", "instruction-dropped", (("llm", who, at),))
    return Case("instruction truncated", script("fix-bug", project, runs), (label,))


def altered(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project, reads=3)
    who, at = _target(rng, runs)
    system = runs[who].system
    before = rng.choice([s for s in tx.ALTERED if s in system])
    runs[who] = replace(runs[who], system_from=(at, system.replace(before, tx.ALTERED[before])))
    label = Label("context-drift", "instruction-altered", (("llm", who, at),))
    return Case("instruction altered", script("fix-bug", project, runs), (label,))


def unplanned_agent(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    runs.append(
        Run(
            agent="deployer",
            system=tx.system("deployer", project.repo),
            task="Deploy the fix to staging.",
            tools=("run_command",),
            turns=(
                Turn(
                    calls=(
                        Call(
                            tool="run_command",
                            args={"command": f"make deploy ENV=staging REV={tx.hexid(rng, 7)}"},
                            result={"exit_code": 0, "output": "deployed"},
                        ),
                    )
                ),
                Turn(text="Staging runs the new revision."),
            ),
            vendor=runs[0].vendor,
            model=runs[0].model,
        )
    )
    label = Label("context-drift", "plan-deviation", (("agent", 3),))
    return Case("unplanned agent", script("fix-bug", project, runs), (label,))


def skipped_step(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)[:2]
    label = Label("context-drift", "plan-deviation", (("plan",),))
    return Case("planned step skipped", script("fix-bug", project, runs, PLAN), (label,))


# -- the frontend project's rules ------------------------------------------------------


def frontend_fixer(rng: random.Random, project: Project, *, strict: bool, force: bool) -> Run:
    run = fixer(rng, project)
    tsconfig = json.dumps({"compilerOptions": {"strict": strict, "target": "es2022"}}, indent=2)
    branch = f"fix-{tx.hexid(rng, 5)}"
    push = f"git push {'--force ' if force else ''}origin {branch}"
    turns = [
        Turn(
            calls=(
                Call(
                    tool="write_file",
                    args={"path": "tsconfig.json", "content": tsconfig},
                    result={"path": "tsconfig.json", "written": True},
                ),
            )
        ),
        Turn(calls=(Call(tool="run_command", args={"command": push}, result={"exit_code": 0}),)),
    ]
    return insert(run, 2, turns, "run_command")


def frontend_normal(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    runs[FIX] = frontend_fixer(rng, project, strict=True, force=False)
    return Case("clean", script("fix-ui", project, runs))


def rule_broken(rng: random.Random, project: Project) -> Case:
    runs = three(rng, project)
    push = rng.random() < 0.5
    runs[FIX] = frontend_fixer(rng, project, strict=push, force=push)
    turn = 3 if push else 2  # the forced push, or the tsconfig without strict mode
    label = Label("context-drift", "rule-violated", (("llm", FIX, turn), ("tool", FIX, turn, 0)))
    return Case("declared rule broken", script("fix-ui", project, runs), (label,))
