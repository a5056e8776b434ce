"""API fetch time of a 10,000-step session, over HTTP from a real ``agentreel serve``.

Writes one session of ``--steps`` steps (default 10,000: an agent step, then
alternating model calls and tool calls under it, GenAI-style attributes, each
model call with its conversation stored as a payload) into a fresh SQLite file
(or a new schema of the PostgreSQL database with ``--db postgres``), starts
``agentreel serve`` on it on 127.0.0.1, and times, from this process, full
requests (status line to the last body byte, JSON parsed by nobody):

- ``GET /api/sessions/{id}/steps`` (every step, the UI's first request);
- ``GET /api/sessions/{id}/steps?from=9001&limit=100`` (a page);
- ``GET /api/sessions/{id}/steps/{n}`` (one model call with its payloads and messages).

Then, in this process, where the time of the full listing goes: the store's
``get_steps``, building the JSON the way the server did before
(``agentreel._units.step_json`` per step) and the way it does now, and encoding.

    python bench/api_fetch.py
    python bench/api_fetch.py --db postgres --rounds 9
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from ingest_throughput import PG_URL, _free_port, _pg_schema, _serve, _wait_healthy

T0 = 1_750_000_000_000_000_000


def write_session(location: str, steps: int) -> str:
    """One session of ``steps`` steps in the store at ``location``; its id."""
    from agentreel.model import Session, Status, StepRow
    from agentreel.payloads import PayloadEncoder
    from agentreel.storage import WriteBatch, open_store

    store = open_store(location)
    encoder = PayloadEncoder()
    sid = os.urandom(16).hex()
    rows: list[StepRow] = []
    blobs: dict[str, bytes] = {}
    history: list[dict[str, Any]] = [
        {"role": "system", "content": "You fix failing tests. Be brief."},
        {"role": "user", "content": "CI fails on tests/test_arith.py with an ImportError."},
    ]
    for n in range(1, steps + 1):
        start = T0 + n * 2_000_000
        attrs: dict[str, Any] = {"otel.scope.name": "openinference.instrumentation.openai",
                                 "server.address": "api.openai.com"}  # fmt: skip
        kind, parent, model, given, output = "agent", None, None, None, None
        if n > 1 and n % 2 == 0:
            kind, parent, model = "llm", 1, "gpt-4o"
            attrs["gen_ai.response.id"] = f"chatcmpl-{n:024d}"
            attrs["gen_ai.response.finish_reasons"] = ["tool_calls"]
            if len(history) > 40:
                del history[2:]
            given = encoder.encode({"model": model, "messages": list(history)})
            answer = {"role": "assistant", "content": f"Run the tests again ({n}).",
                      "tool_calls": [{"id": f"c{n}", "type": "function", "function": {
                          "name": "run_tests", "arguments": '{"path": "tests"}'}}]}  # fmt: skip
            output = encoder.encode(answer)
            history.append(answer)
        elif n > 1:
            kind, parent = "tool", 1
            attrs["gen_ai.tool.name"] = "run_tests"
            history.append({"role": "tool", "tool_call_id": f"c{n - 1}", "content": "1 failed"})
        for encoded in (given, output):
            if encoded is not None:
                blobs.update(encoded.blobs)
        rows.append(
            StepRow(
                sid, n, f"{n:016x}", parent, None, kind, f"{kind} {n}", "ok", start,
                start + (2_000_000 * steps if n == 1 else 1_500_000), attrs, model,
                900 if model else 0, 40 if model else 0, 0, 0, 0.0025 if model else None,
                None if given is None else given.root, None if output is None else output.root,
                None,
            )
        )  # fmt: skip
    session = Session(id=sid, name="ten thousand steps", project="default", status=Status.OK,
                      started_at=T0, ended_at=T0 + 2_000_000 * (steps + 2))  # fmt: skip
    store.write(WriteBatch(sessions=[session], steps=rows, blobs=blobs))
    store.close()
    return sid


def _timed(client: Any, url: str, rounds: int) -> tuple[list[float], int]:
    times = []
    size = 0
    client.get(url).raise_for_status()  # warm: connections, caches, imports
    for _ in range(rounds):
        start = time.perf_counter()
        answer = client.get(url)
        answer.raise_for_status()
        size = len(answer.content)
        times.append(time.perf_counter() - start)
    return times, size


def _in_process(location: str, sid: str, rounds: int) -> dict[str, float]:
    """Median ms of each part of the full listing, built in this process."""
    import orjson

    from agentreel._units import step_json
    from agentreel.storage import open_store

    try:
        from agentreel.server._steplist import depths, steps_json
    except ImportError:  # code from before the fast listing (a before/after run)
        from agentreel.server._sessions import depths  # type: ignore[attr-defined,no-redef]

        def steps_json(steps: Any, depth: Any) -> Any:  # type: ignore[misc]
            return [step_json(s, depth=depth[s.number]) for s in steps]

    store = open_store(location)
    parts: dict[str, list[float]] = {"get_steps": [], "build_before": [], "build_now": [],
                                     "encode": []}  # fmt: skip
    for _ in range(rounds):
        t0 = time.perf_counter()
        steps = store.get_steps(sid)
        t1 = time.perf_counter()
        depth = depths(steps)
        [step_json(s, depth=depth[s.number]) for s in steps]
        t2 = time.perf_counter()
        built = steps_json(steps, depths(steps))
        t3 = time.perf_counter()
        orjson.dumps({"steps": built}, option=orjson.OPT_NON_STR_KEYS)
        t4 = time.perf_counter()
        for name, took in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            parts[name].append(took)
    store.close()
    return {name: round(1000 * statistics.median(v), 1) for name, v in parts.items()}


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg", default=PG_URL)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fetch-bench-")))
        if args.db == "sqlite":
            location = str(workdir / "reel.db")
        else:
            location = stack.enter_context(_pg_schema(args.pg))
        sid = write_session(location, args.steps)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _serve(location, port, workdir)
        try:
            _wait_healthy(base, server)
            with httpx.Client(base_url=base, timeout=60) as client:
                detail = args.steps - (0 if args.steps % 2 == 0 else 1)
                cases = [
                    ("all steps", f"/api/sessions/{sid}/steps"),
                    ("a page of 100", f"/api/sessions/{sid}/steps?from={args.steps - 99}"
                                      "&limit=100"),
                    (f"step {detail} with payloads", f"/api/sessions/{sid}/steps/{detail}"),
                ]  # fmt: skip
                print(f"{args.db}, {args.steps:,} steps, {args.rounds} rounds (ms over HTTP)")
                print(f"{'request':28} {'median':>8} {'min':>8} {'max':>8} {'bytes':>10}")
                for label, url in cases:
                    times, size = _timed(client, url, args.rounds)
                    ms = [1000 * t for t in times]
                    print(f"{label:28} {statistics.median(ms):>8.1f} {min(ms):>8.1f} "
                          f"{max(ms):>8.1f} {size:>10,}")  # fmt: skip
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        parts = _in_process(location, sid, args.rounds)
        print("\nthe full listing, in process (median ms):")
        for name, ms in parts.items():
            print(f"  {name:14} {ms:>7.1f}")


if __name__ == "__main__":
    main()
