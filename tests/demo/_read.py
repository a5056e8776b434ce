"""Reading the recorded demo back from a store, for the tests' assertions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentreel.model import Session, Step
from agentreel.storage import Store, load_payload


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """One recorded session with its steps."""

    session: Session
    steps: list[Step]

    def by_kind(self, kind: str) -> list[Step]:
        return [s for s in self.steps if s.kind == kind]

    def named(self, name: str) -> list[Step]:
        return [s for s in self.steps if s.name == name]


@dataclass(frozen=True, slots=True, kw_only=True)
class Demo:
    """The demo recorded into ``path``: the ids ``run_demo`` returned, read back."""

    path: Path
    ids: list[str]
    store: Store
    sessions: dict[str, Recorded]


def read_sessions(store: Store, ids: list[str]) -> dict[str, Recorded]:
    """The sessions ``ids``, by name."""
    out: dict[str, Recorded] = {}
    for session_id in ids:
        session = store.get_session(session_id)
        out[session.name] = Recorded(session=session, steps=store.get_steps(session_id))
    return out


def payload(store: Store, ref: str | None) -> Any:
    return None if ref is None else load_payload(store, ref)


def structure(store: Store, ids: list[str]) -> list[dict[str, Any]]:
    """Everything about the sessions that must not change between runs (no ids, no times)."""
    sessions = []
    for session_id in ids:
        session = store.get_session(session_id)
        steps = []
        for step in store.get_steps(session_id):
            steps.append(
                {
                    "number": step.number,
                    "parent": step.parent_number,
                    "kind": str(step.kind),
                    "name": step.name,
                    "status": str(step.status),
                    "attributes": dict(step.attributes),
                    "model": step.model,
                    "usage": step.usage,
                    "cost": step.cost,
                    "input": payload(store, step.input_ref),
                    "output": payload(store, step.output_ref),
                    "error": step.error,
                }
            )
        sessions.append(
            {
                "name": session.name,
                "project": session.project,
                "tags": session.tags,
                "metadata": dict(session.metadata),
                "status": str(session.status),
                "error": session.error,
                "steps": steps,
            }
        )
    return sessions
