"""Builders of sessions and step rows for the storage tests."""

from __future__ import annotations

import itertools
from typing import Any

from agentreel.model import ErrorInfo, Session, Status, StepRow

#: A fixed start time (ns) so tests can compute expected times.
T0 = 1_700_000_000_000_000_000


class Factory:
    """Builds sessions and step rows with distinct ids and sensible defaults."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def session_id(self) -> str:
        # Spread ids over the hex space so prefixes are unique after a few digits.
        n = next(self._ids)
        return f"{n * 0x9E3779B97F4A7C15 % (1 << 128):032x}"

    def span_id(self) -> str:
        return f"{next(self._ids) * 0x2545F4914F6CDD1D % (1 << 64):016x}"

    def session(self, **fields: Any) -> Session:
        values: dict[str, Any] = {
            "id": self.session_id(),
            "name": "run",
            "started_at": T0,
        }
        values.update(fields)
        return Session(**values)

    def row(self, session_id: str, number: int, **fields: Any) -> StepRow:
        values: dict[str, Any] = {
            "session_id": session_id,
            "number": number,
            "span_id": self.span_id(),
            "parent_number": None,
            "parent_span_id": None,
            "kind": "tool",
            "name": f"step-{number}",
            "status": "ok",
            "started_at": T0 + number * 1000,
            "ended_at": T0 + number * 1000 + 500,
            "attributes": {},
            "model": None,
            "tokens_in": 0,
            "tokens_out": 0,
            "tokens_cached": 0,
            "tokens_reasoning": 0,
            "cost": None,
            "input_ref": None,
            "output_ref": None,
            "error": None,
        }
        values.update(fields)
        return StepRow(**values)

    def failed(self, session_id: str, number: int, **fields: Any) -> StepRow:
        error = ErrorInfo(type="ValueError", message="bad", traceback="Traceback ...")
        return self.row(session_id, number, status=str(Status.ERROR), error=error, **fields)
