"""Ingest asks SQL stores about every session of a request at once, others one by one.

SQLite and PostgreSQL offer ``get_sessions`` and ``assign_step_numbers_many``;
a store without them (the memory store) is asked through the ``Store``
protocol's own methods. Both paths must store the same sessions and steps.
"""

from __future__ import annotations

from typing import Any

from agentreel.storage import MemoryStore, SQLiteStore, Store

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


def test_sql_and_protocol_paths_store_the_same(tracing: Tracing, tmp_path: Any) -> None:
    first = _conversations(tracing, ["one", "two", "three"], 3)
    later = _conversations(tracing, ["two", "four"], 2)
    sqlite = SQLiteStore(tmp_path / "reel.db")
    memory = MemoryStore()
    try:
        assert hasattr(sqlite, "assign_step_numbers_many") and hasattr(sqlite, "get_sessions")
        assert not hasattr(memory, "assign_step_numbers_many")
        reports = []
        for store in (sqlite, memory):
            # Children before parents, as exporters send them; then more
            # spans of a known session; then the first request again.
            made = [send(store, first), send(store, later), send(store, first)]
            reports.append([(r.accepted, r.rejected, r.session_ids) for r in made])
        assert reports[0] == reports[1]
        ids = tuple(dict.fromkeys(i for r in reports[0] for i in r[2]))
        assert len(ids) == 4
        assert _stored(sqlite, ids) == _stored(memory, ids)
        # A retried request stored its spans once: 3 + 1 + 1 + 2 + 1 steps.
        (one, two, three, four) = (len(memory.get_steps(i)) for i in ids)
        assert (one, two, three, four) == (4, 7, 4, 3)
    finally:
        sqlite.close()
