"""Guards: ready-made hook plugins that stop damage before it happens.

Each guard is a plain object with hook methods; register it like any
plugin (``agentreel.hooks.register(guard)`` or ``configure(hooks=[...])``)::

    import agentreel
    from agentreel.guards import Budget, ToolPolicy

    agentreel.configure(hooks=[
        Budget(max_cost_per_session=0.50, max_cost_per_day=20.0),
        ToolPolicy(deny=["delete_*"], paths={"path": ["./workspace/**"]}),
    ])

* :class:`Budget` — cost and token limits per session and per day,
  checked before each model call with an estimate of the prompt's cost;
* :class:`ToolPolicy` — allowed and denied tools, argument schemas, path
  and command rules;
* :class:`LoopGuard` — the same call again and again, or a cycle of calls,
  with no progress;
* :class:`RateLimit` — at most N calls per period, waiting or vetoing;
* :class:`Approval` — matching steps wait for a person's decision;
* :class:`DetectorGuard` — the detectors of ``agentreel.detectors`` run
  while the session runs.

A vetoed call raises :class:`agentreel.errors.StepVetoed` in the agent, and
the decision is recorded on the step. ``docs/guards.md`` has every option.
"""

from ._approval import Approval
from ._budget import Budget
from ._detect import ONLINE_DETECTORS, DetectorGuard
from ._loops import LoopGuard
from ._rate import MAX_WAIT, RateLimit
from ._tools import COMMAND_ARGS, ToolPolicy

__all__ = [
    "COMMAND_ARGS",
    "MAX_WAIT",
    "ONLINE_DETECTORS",
    "Approval",
    "Budget",
    "DetectorGuard",
    "LoopGuard",
    "RateLimit",
    "ToolPolicy",
]
