"""A deterministic, offline demo: agents fixing a small repository, recorded as sessions.

``run_demo(db)`` records three sessions (a clean fix, a recurring tool failure,
a cost spike) with a scripted model and tools that act on an in-memory
repository. ``agentreel demo`` runs it and shows what to look at.
"""

from ._agents import TaskFailed
from ._checker import TestFailure, TestReport, check_tests
from ._model import DemoError, Reply, ScriptedModel, ScriptError, ToolCall
from ._repo import VirtualRepo
from ._run import record_scenario, run_demo
from ._scenarios import SCENARIOS, Scenario

__all__ = [
    "SCENARIOS",
    "DemoError",
    "Reply",
    "Scenario",
    "ScriptError",
    "ScriptedModel",
    "TaskFailed",
    "TestFailure",
    "TestReport",
    "ToolCall",
    "VirtualRepo",
    "check_tests",
    "record_scenario",
    "run_demo",
]
