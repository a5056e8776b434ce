"""Two server processes ingesting into one SQLite file: no session update is lost.

Each store object stands for a process (ingest's own lock is per store
object). The session row is read, merged and written in one transaction, so
a merge never overwrites another one it did not see.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from agentreel.storage import SQLiteStore

from ._otlp import Tracing, send

REQUESTS = 20


def _requests(tracing: Tracing, writer: str) -> list[Any]:
    """One request per tag, each a span of the same conversation."""
    made = []
    for i in range(REQUESTS):
        attrs = {"gen_ai.conversation.id": "shared", "tag.tags": f"{writer}-{i}"}
        with tracing.tracer.start_as_current_span("invoke_agent", attributes=attrs):
            pass
        made.append(tracing.take())
    return made


def test_two_writers_lose_no_session_merge(tracing: Tracing, tmp_path: Path) -> None:
    stores = [SQLiteStore(tmp_path / "reel.db") for _ in range(2)]
    work = {name: _requests(tracing, name) for name in ("a", "b")}
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run(store: SQLiteStore, requests: list[Any]) -> None:
        start.wait()
        try:
            for spans in requests:
                send(store, spans, project=None)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=(store, requests))
        for store, requests in zip(stores, work.values(), strict=True)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures
        (sid,) = {s.session.id for s in stores[0].list_sessions()}
        tags = set(stores[0].get_session(sid).tags)
        assert tags == {f"{name}-{i}" for name in work for i in range(REQUESTS)}
        assert len(stores[1].get_steps(sid)) == 2 * REQUESTS
    finally:
        for store in stores:
            store.close()
