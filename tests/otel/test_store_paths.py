"""Ingest reads, numbers and writes a request in one store transaction, where it can.

SQLite, PostgreSQL and the memory store offer ``transaction()``; a store
with only the ``Store`` protocol's methods is asked through them, one
transaction per call. Both paths must store the same sessions and steps.
"""

from __future__ import annotations

from typing import Any

from agentreel.storage import MemoryStore, SQLiteStore, Store, WriteBatch

from ._otlp import Tracing, send


def _conversations(tracing: Tracing, names: list[str], turns: int) -> list[Any]:
    tracer = tracing.tracer
    for name in names:
        attrs = {"gen_ai.conversation.id": name}
        agent = {**attrs, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name}
        with tracer.start_as_current_span("invoke_agent", attributes=agent):
            for turn in range(turns):
                chat = {
                    **attrs,
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.input_tokens": 10 + turn,
                }
                with tracer.start_as_current_span("chat", attributes=chat):
                    pass
    return tracing.take()


def _stored(store: Store, ids: tuple[str, ...]) -> list[Any]:
    return [(store.get_session(i), store.get_steps(i)) for i in ids]


class _ProtocolOnly:
    """A store offering the ``Store`` protocol's methods and nothing more."""

    def __init__(self) -> None:
        self._inner = MemoryStore()
        self.location = self._inner.location

    def write(self, batch: WriteBatch) -> None:
        self._inner.write(batch)

    def get_session(self, session_id: str) -> Any:
        return self._inner.get_session(session_id)

    def get_steps(self, session_id: str, *, from_number: int = 1) -> Any:
        return self._inner.get_steps(session_id, from_number=from_number)

    def assign_step_numbers(self, session_id: str, span_ids: Any) -> dict[str, int]:
        return self._inner.assign_step_numbers(session_id, span_ids)


def test_transaction_and_protocol_paths_store_the_same(tracing: Tracing, tmp_path: Any) -> None:
    first = _conversations(tracing, ["one", "two", "three"], 3)
    later = _conversations(tracing, ["two", "four"], 2)
    sqlite = SQLiteStore(tmp_path / "reel.db")
    memory = MemoryStore()
    protocol: Any = _ProtocolOnly()
    try:
        assert hasattr(sqlite, "transaction") and hasattr(memory, "transaction")
        assert not hasattr(protocol, "transaction") and not hasattr(protocol, "get_sessions")
        reports = []
        for store in (sqlite, memory, protocol):
            # Children before parents, as exporters send them; then more
            # spans of a known session; then the first request again.
            made = [send(store, first), send(store, later), send(store, first)]
            reports.append([(r.accepted, r.rejected, r.session_ids) for r in made])
        assert reports[0] == reports[1] == reports[2]
        ids = tuple(dict.fromkeys(i for r in reports[0] for i in r[2]))
        assert len(ids) == 4
        assert _stored(sqlite, ids) == _stored(memory, ids) == _stored(protocol, ids)
        # A retried request stored its spans once: 3 + 1 + 1 + 2 + 1 steps.
        (one, two, three, four) = (len(memory.get_steps(i)) for i in ids)
        assert (one, two, three, four) == (4, 7, 4, 3)
    finally:
        sqlite.close()
