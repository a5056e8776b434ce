"""Detectors: the failure modes of agent runs that tracing does not flag, found offline.

``analyze(store, session_id)`` runs five detectors over one stored session
and returns a :class:`SessionReport` of :class:`Finding` objects, each naming
its step numbers and evidence, plus what could not be checked:

* ``context-drift``: instructions dropped from or altered in a conversation,
  declared :class:`Rule` objects broken, agents that wander from the plan;
* ``tool-misuse``: unknown tools, arguments that break the tool's schema,
  failing calls retried unchanged, error streaks, success claimed after an
  error;
* ``loop``: the same step over and over, or a cycle of steps;
* ``cost-spike``: a model call or a session far above the project's
  baseline, context bloat, a burn rate that will exhaust a daily budget;
* ``recurring-failure``: the same failure (by :func:`fingerprint_failure`)
  coming back in the session or from earlier sessions.

:func:`recurring_failures` groups failures across a store like an error
tracker. Findings a ``DetectorGuard`` recorded while a session ran (step
attribute ``agentreel.findings``, :func:`finding_record`) are read back by
``analyze`` and merged with its own, each finding once. ``docs/detectors.md``
describes every check and its measured precision and recall.
"""

from ._analyze import analyze, analyze_sessions
from ._config import APPLIES_TO, DetectorConfig, Rule
from ._findings import DETECTORS, KINDS, SEVERITIES, Finding, SessionReport
from ._fingerprint import FINGERPRINT_VERSION, fingerprint_failure, normalise_message
from ._recorded import finding_key, finding_record
from ._recurrence import FailureGroup, recurring_failures
from ._schema import SchemaCheck, check_arguments
from ._view import SessionView, load_view

__all__ = [
    "APPLIES_TO",
    "DETECTORS",
    "FINGERPRINT_VERSION",
    "KINDS",
    "SEVERITIES",
    "DetectorConfig",
    "FailureGroup",
    "Finding",
    "Rule",
    "SchemaCheck",
    "SessionReport",
    "SessionView",
    "analyze",
    "analyze_sessions",
    "check_arguments",
    "finding_key",
    "finding_record",
    "fingerprint_failure",
    "load_view",
    "normalise_message",
    "recurring_failures",
]
