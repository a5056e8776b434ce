"""One demo scenario as a program, to record and replay from outside.

``python -m agentreel.demo.run fix-flaky-import`` runs the scenario as one
session. Run under ``agentreel record`` / ``agentreel replay`` it records into
the recorder the command set up; run alone it configures agentreel on
``--db`` and shuts it down at the end. ``--variant NAME`` changes the agent a
little, so that a replay of an unchanged recording shows a divergence.

The agents run under the demo's budget guard, and a plan or model call that a
hook vetoes (or a person skips at a breakpoint) stops them as giving up does.
The exit code is 0 when the agents finished their task and 1 when they gave up
or were stopped, as a real agent program would say it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence

import agentreel
from agentreel import hooks
from agentreel.bootstrap import ENV_MANAGED
from agentreel.errors import StepVetoed

from ._agents import TaskFailed, run_task
from ._model import Reply, ScriptedModel
from ._repo import VirtualRepo
from ._run import BUDGET_NAME, budget_guard
from ._scenarios import SCENARIOS, Scenario

__all__ = ["VARIANTS", "main", "run_scenario"]

#: Small changes to the demo agent, by name: what each changes, and how.
VARIANTS: dict[str, tuple[str, Callable[[Scenario], Scenario]]] = {
    "gpt-4.1": (
        "the worker agents ask gpt-4.1 instead of the scenario's worker model",
        lambda s: dataclasses.replace(s, worker_model="gpt-4.1"),
    ),
}

# A verifier that sees the tests pass must be able to say so. The scripts only
# answer what their recorded run asks, so a fork that edits a failing
# run_tests into a passing one would otherwise leave the live model without a
# reply. Appended last, it never shadows a scripted reply: the recorded runs
# are unchanged.
_GREEN = Reply(
    agent="verifier",
    turn=1,
    when='"failed": []',
    content="Every test passes now.",
)


def _scenario(name: str, variant: str | None) -> Scenario:
    scenario = next(s for s in SCENARIOS if s.name == name)
    scenario = dataclasses.replace(scenario, script=(*scenario.script, _GREEN))
    return VARIANTS[variant][1](scenario) if variant else scenario


def run_scenario(scenario: Scenario) -> list[str]:
    """Run ``scenario`` in its own session; the agents' reports, or ``TaskFailed``.

    Unlike ``record_scenario`` it does not check that the session ends as
    the demo's does: under a fork, a failing scenario may well pass.
    """
    model = ScriptedModel(scenario.script)
    with agentreel.session(scenario.name, tags=list(scenario.tags), metadata=scenario.metadata):
        return run_task(
            model,
            planner_model=scenario.planner_model,
            worker_model=scenario.worker_model,
            task=scenario.task,
            repo=VirtualRepo(scenario.repo()),
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agentreel.demo.run",
        description="Run one agentreel demo scenario as a recorded session.",
    )
    parser.add_argument("scenario", choices=[s.name for s in SCENARIOS])
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        help="; ".join(f"{name}: {text}" for name, (text, _) in sorted(VARIANTS.items())),
    )
    parser.add_argument(
        "--db",
        help="the reel database when run alone (ignored under `agentreel record/replay`, "
        "which own the recorder)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The program: run the scenario; 0 if the agents finished, 1 if they gave up."""
    args = _parser().parse_args(argv)
    scenario = _scenario(args.scenario, args.variant)
    # Under `agentreel record/replay` the recorder (and a replay's interceptor)
    # belongs to the command; configuring or shutting it down here would take
    # the run out of its hands.
    managed = os.environ.get(ENV_MANAGED) == "1"
    if not managed:
        agentreel.configure(db=args.db)
    hooks.register(budget_guard(), name=BUDGET_NAME)
    try:
        reports = run_scenario(scenario)
    except TaskFailed as exc:
        print(f"{scenario.name}: the agents gave up: {exc}")
        return 1
    except StepVetoed as exc:
        print(f"{scenario.name}: the agents were stopped: {exc}")
        return 1
    finally:
        hooks.unregister(BUDGET_NAME)
        if not managed:
            agentreel.shutdown()
    print(f"{scenario.name}: done")
    for line in reports:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
