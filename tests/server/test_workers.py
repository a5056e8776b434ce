"""``agentreel serve --workers 2``: a real supervisor and two worker processes."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from tests.live._linked import serving_process

from agentreel.storage import SQLiteStore

from ._otlp import chat_request


def _mapped(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def test_two_workers_ingest_and_the_supervisor_stays_small(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    with serving_process(db, tmp_path, "--workers", "2") as (url, supervisor):
        for i in range(4):  # over new connections: either worker may answer
            r = httpx.post(
                f"{url}/v1/traces",
                content=chat_request(f"conv-{i}"),
                headers={"Content-Type": "application/x-protobuf"},
                timeout=15,
            )
            assert r.status_code == 200, r.text
        store = SQLiteStore(Path(db), create=False)
        try:
            deadline = time.monotonic() + 15
            while store.count_sessions() < 4:  # committed, whichever worker took it
                assert time.monotonic() < deadline, store.count_sessions()
                time.sleep(0.05)
        finally:
            store.close()
        # The supervisor only starts and watches the workers: it never loads
        # the web app, so pydantic's compiled core is not in its memory.
        assert "pydantic_core" not in _mapped(supervisor.pid)
