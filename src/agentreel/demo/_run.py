"""Recording the demo sessions into a store."""

from __future__ import annotations

import os

import agentreel
from agentreel import hooks
from agentreel.guards import Budget
from agentreel.storage import Store, open_store

from ._agents import TaskFailed, run_task
from ._model import DemoError, ScriptedModel
from ._repo import VirtualRepo
from ._scenarios import SCENARIOS, Scenario

__all__ = ["BUDGET_NAME", "DEMO_BUDGET", "budget_guard", "record_scenario", "run_demo"]

#: Recorder counters that mean part of the demo never reached the store.
_LOSSES = ("dropped_queue_full", "dropped_shutdown", "encode_errors", "write_errors")
#: The demo's cost limit per session, in USD: well above what its sessions
#: spend (the cost spike included), as a production agent's budget would be.
DEMO_BUDGET = 0.10
#: The name the demo registers its budget guard under.
BUDGET_NAME = "agentreel-demo-budget"


def budget_guard() -> Budget:
    """The guard the demo's agents run under: a model call that would take the
    session over :data:`DEMO_BUDGET` is vetoed before it is made."""
    return Budget(max_cost_per_session=DEMO_BUDGET)


def record_scenario(scenario: Scenario) -> str:
    """Run one scenario as a recorded session (agentreel must be configured); its id."""
    model = ScriptedModel(scenario.script)
    repo = VirtualRepo(scenario.repo())
    session_id = ""
    try:
        with agentreel.session(
            scenario.name, tags=list(scenario.tags), metadata=scenario.metadata
        ) as session:
            session_id = session.id
            run_task(
                model,
                planner_model=scenario.planner_model,
                worker_model=scenario.worker_model,
                task=scenario.task,
                repo=repo,
            )
    except TaskFailed:
        if not scenario.fails:
            raise
        return session_id
    if scenario.fails:
        raise DemoError(f"the demo scenario {scenario.name!r} was meant to fail but passed")
    return session_id


def run_demo(target: str | os.PathLike[str] | Store) -> list[str]:
    """Record the demo sessions into ``target`` (a SQLite path or a store); their ids.

    It configures agentreel for the time it runs and shuts the recorder down
    at the end, which closes the store (as for any store given to
    ``configure``); it replaces any recorder the calling program configured.
    Every run records the same sessions: only ids and times differ.
    """
    # Opened here rather than by configure(db=...): configure() only logs a
    # store it cannot open and records nothing, but the demo must say why.
    store = open_store(target, create=True) if isinstance(target, str | os.PathLike) else target
    agentreel.configure(store=store)
    hooks.register(budget_guard(), name=BUDGET_NAME)
    try:
        ids = [record_scenario(scenario) for scenario in SCENARIOS]
        flushed = agentreel.flush()
    finally:
        hooks.unregister(BUDGET_NAME)
        agentreel.shutdown()
    stats = agentreel.stats()  # the counters of the recorder just shut down
    lost = {name: stats.get(name, 0) for name in _LOSSES if stats.get(name, 0)}
    if not flushed or lost:
        detail = ", ".join(f"{k}={v}" for k, v in lost.items()) or "the flush timed out"
        raise DemoError(
            f"the recorder did not store the whole demo ({detail}); "
            "check that the database is writable and run the demo again"
        )
    return ids
