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

With ``--baseline-src`` a second server runs the package found there (the
code before a change) on the same database, and the two are asked in turns.

Then, in this process, where the time of the full listing goes: the store's
``get_steps`` and the JSON built from ``Step`` objects (``step_json`` per step,
and the earlier fast listing), against what the server does now: the rows as
stored (``get_step_rows``, attributes undecoded), ``rows_json``, and encoding.

    python bench/api_fetch.py
    python bench/api_fetch.py --db postgres --rounds 9
    git archive HEAD src | tar -x -C /tmp/old      # before/after, in turns:
    python bench/api_fetch.py --rounds 9 --baseline-src /tmp/old/src
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


def _timed(
    clients: dict[str, tuple[Any, str]], path: str, rounds: int
) -> tuple[dict[str, list[float]], int]:
    """Seconds per request of each server (by label), in turns, and the answer's size.

    ``clients`` maps a label to an HTTP client and the session id its server
    holds; ``path`` has ``{sid}`` where that id goes.
    """
    times: dict[str, list[float]] = {label: [] for label in clients}
    size = 0
    for client, sid in clients.values():
        client.get(path.format(sid=sid)).raise_for_status()  # warm: connections, caches
    labels = list(clients)
    for round_ in range(rounds):
        # Alternate which server goes first: the machine's speed drifts.
        for label in labels if round_ % 2 == 0 else labels[::-1]:
            client, sid = clients[label]
            start = time.perf_counter()
            answer = client.get(path.format(sid=sid))
            answer.raise_for_status()
            size = len(answer.content)
            times[label].append(time.perf_counter() - start)
    return times, size


def _in_process(location: str, sid: str, rounds: int) -> dict[str, float]:
    """Median ms of each part of the full listing, built in this process.

    Before: ``get_steps`` (every step decoded into a ``Step``), then the JSON
    built by ``step_json`` per step (``build_step_json``) or by the earlier
    fast listing (``build_steps_json``). Now: ``get_step_rows`` (the rows,
    attributes undecoded) and ``rows_json``; ``encode`` is orjson over it.
    """
    import orjson

    from agentreel._units import step_json
    from agentreel.server._steplist import depths, depths_of, rows_json, steps_json
    from agentreel.storage import open_store

    store: Any = open_store(location)
    parts: dict[str, list[float]] = {
        "get_steps": [],
        "build_step_json": [],
        "build_steps_json": [],
        "get_step_rows": [],
        "build_rows_json": [],
        "encode": [],
    }
    for _ in range(rounds):
        t0 = time.perf_counter()
        steps = store.get_steps(sid)
        t1 = time.perf_counter()
        depth = depths(steps)
        [step_json(s, depth=depth[s.number]) for s in steps]
        t2 = time.perf_counter()
        steps_json(steps, depths(steps))
        t3 = time.perf_counter()
        rows = store.get_step_rows(sid)
        t4 = time.perf_counter()
        built = rows_json(rows, depths_of((r[1], r[3]) for r in rows))
        t5 = time.perf_counter()
        orjson.dumps({"steps": built}, option=orjson.OPT_NON_STR_KEYS)
        t6 = time.perf_counter()
        took = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)
        for name, seconds in zip(parts, took, strict=True):
            parts[name].append(seconds)
    store.close()
    return {name: round(1000 * statistics.median(v), 1) for name, v in parts.items()}


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg", default=PG_URL)
    parser.add_argument(
        "--baseline-src",
        metavar="DIR",
        help="also serve the same database with the package under DIR (e.g. from "
        "`git archive HEAD src`), and time both in turns",
    )
    parser.add_argument("--write-to", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_to:  # in a subprocess, with the baseline's package: its own schema
        print(write_session(args.write_to, args.steps))
        return
    variants: dict[str, str | None] = {"current": None}
    if args.baseline_src:
        variants["baseline"] = args.baseline_src
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fetch-bench-")))
        clients: dict[str, tuple[Any, str]] = {}
        location = sid = ""
        for label, src in variants.items():
            # Each variant gets a database its own code wrote: a baseline may
            # not read a schema newer than it knows.
            if args.db == "sqlite":
                db = str(workdir / f"{label}.db")
            else:
                db = stack.enter_context(_pg_schema(args.pg))
            if src is None:
                location, sid = db, write_session(db, args.steps)
                wrote = sid
            else:
                env = {**os.environ, "PYTHONPATH": src}
                command = [sys.executable, __file__, "--write-to", db, "--steps", str(args.steps)]
                wrote = subprocess.run(
                    command, env=env, check=True, capture_output=True, text=True
                ).stdout.strip()
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            server = _serve(db, port, workdir, src)
            stack.callback(_stop, server)
            _wait_healthy(base, server)
            client = stack.enter_context(httpx.Client(base_url=base, timeout=60))
            clients[label] = (client, wrote)
        detail = args.steps - (0 if args.steps % 2 == 0 else 1)
        cases = [
            ("all steps", "/api/sessions/{sid}/steps"),
            ("a page of 100", f"/api/sessions/{{sid}}/steps?from={args.steps - 99}&limit=100"),
            (f"step {detail} with payloads", f"/api/sessions/{{sid}}/steps/{detail}"),
        ]
        print(f"{args.db}, {args.steps:,} steps, {args.rounds} rounds (ms over HTTP)")
        print(f"{'request':28} {'code':9} {'median':>8} {'min':>8} {'max':>8} {'bytes':>10}")
        for label, path in cases:
            times, size = _timed(clients, path, args.rounds)
            for code, took in times.items():
                ms = [1000 * t for t in took]
                print(f"{label:28} {code:9} {statistics.median(ms):>8.1f} {min(ms):>8.1f} "
                      f"{max(ms):>8.1f} {size:>10,}")  # fmt: skip
        for client, _ in clients.values():
            client.close()
        parts = _in_process(location, sid, args.rounds)
        print("\nthe full listing, in process (median ms):")
        for name, ms in parts.items():
            print(f"  {name:14} {ms:>7.1f}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
