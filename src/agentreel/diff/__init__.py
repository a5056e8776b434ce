"""Diffing two recorded sessions: steps aligned, then compared field by field.

``diff_sessions(store, a, b)`` aligns the steps of two sessions in step-number
order on (kind, name, :func:`request_digest`) and compares each aligned pair;
``diff_values`` is the structural JSON diff it uses, usable on its own.
Generated ids and response times in payloads are normalised away first (see
:func:`normalise`), so two runs that asked and answered the same things are
the same. ``docs/diff.md`` describes the rules and the ``agentreel diff``
command.
"""

from ._normalise import REDACTED, masked_equal, normalise
from ._sessions import (
    DIGEST_VERSION,
    PairStatus,
    SessionDiff,
    StepPair,
    diff_sessions,
    request_digest,
)
from ._values import FieldChange, diff_values, text_diff

__all__ = [
    "DIGEST_VERSION",
    "REDACTED",
    "FieldChange",
    "PairStatus",
    "SessionDiff",
    "StepPair",
    "diff_sessions",
    "diff_values",
    "masked_equal",
    "normalise",
    "request_digest",
    "text_diff",
]
