"""OTLP ingest throughput, counted when committed, against a real ``agentreel serve``.

For each configuration a fresh database is made (a SQLite file, or a new
schema in the PostgreSQL database at ``--pg``), ``agentreel serve`` is
started on it as a subprocess on 127.0.0.1, and a *separate* sender process
posts pre-encoded OTLP/HTTP protobuf requests of 512 spans each (built with
``opentelemetry-proto`` before the clock starts) over ``--connections``
keep-alive connections. The clock runs from the sender's first request until
this process has seen every span committed: it polls the step count in the
database (not the server's answers) until it reaches the number sent.
Meanwhile it samples the server's RSS and, at the end, its CPU time.

Span shapes (each request: 16 conversations of 32 spans, one trace each, an
``invoke_agent`` root with alternating ``chat`` and ``execute_tool`` children;
sessions by ``gen_ai.conversation.id``, numbered by the server):

- ``plain``: GenAI-convention attributes only (model, usage, ids): no payloads;
- ``messages``: the same, plus ``gen_ai.input.messages`` / ``gen_ai.output.messages``
  JSON on the chat spans (the growing conversation, 2-20 messages, ~1-3 KB)
  and tool arguments and results on the tool spans.

    python bench/ingest_throughput.py                    # SQLite and PostgreSQL
    python bench/ingest_throughput.py --db sqlite --batches 60
    python bench/ingest_throughput.py --json
    git archive HEAD src | tar -x -C /tmp/old      # before/after, in the same rounds:
    python bench/ingest_throughput.py --db sqlite --rounds 5 --baseline-src /tmp/old/src

Loopback only; every process started is stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SPANS_PER_BATCH = 512
SESSIONS_PER_BATCH = 16
PG_URL = os.environ.get("AGENTREEL_TEST_PG", "postgresql://127.0.0.1:5432/test")
#: Give up on a configuration after this long (spans not all committed: reported as such).
TIMEOUT_S = 180.0


# -- the sender (runs in its own process) ----------------------------------


def _kv(key: str, value: str | int | float) -> Any:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _conversation(turn: int, session: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The input and output messages of chat call ``turn`` (GenAI JSON shape)."""
    base = "The test suite fails on CI with an import error since the last release; "
    messages: list[dict[str, Any]] = [
        {"role": "system", "parts": [{"type": "text", "content": "You are a careful fixer. " * 4}]},
        {"role": "user", "parts": [{"type": "text", "content": f"[{session}] " + base * 3}]},
    ]
    for k in range(min(turn, 9)):
        messages.append(
            {
                "role": "assistant",
                "parts": [
                    {
                        "type": "tool_call",
                        "id": f"call_{k}",
                        "name": "run_tests",
                        "arguments": {"path": f"tests/test_{k}.py"},
                    }
                ],
            }
        )
        messages.append(
            {
                "role": "tool",
                "parts": [{"type": "tool_call_response", "id": f"call_{k}", "response": base * 2}],
            }
        )
    answer = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": f"Step {turn}: " + base * 2}],
            "finish_reason": "stop",
        }
    ]
    return messages, answer


def build_batch(index: int, messages: bool) -> bytes:
    """One serialized ``ExportTraceServiceRequest`` of :data:`SPANS_PER_BATCH` spans."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.extend(
        [_kv("service.name", "bench-agent"), _kv("deployment.environment", "bench")]
    )
    scope = resource.scope_spans.add()
    scope.scope.name = "bench.genai"
    per = SPANS_PER_BATCH // SESSIONS_PER_BATCH
    t0 = time.time_ns() - 3_600_000_000_000
    for s in range(SESSIONS_PER_BATCH):
        conversation = f"conv-{index:06d}-{s:02d}-{uuid.uuid4().hex[:8]}"
        trace = os.urandom(16)
        root_id = os.urandom(8)
        start = t0 + s * 1_000_000_000
        for i in range(per):
            span = scope.spans.add()
            span.trace_id = trace
            span.span_id = root_id if i == 0 else os.urandom(8)
            span.start_time_unix_nano = start + i * 1_000_000
            span.end_time_unix_nano = start + i * 1_000_000 + 800_000
            span.status.code = Status.STATUS_CODE_OK
            attrs = [_kv("gen_ai.conversation.id", conversation)]
            if i == 0:
                span.name = "invoke_agent fixer"
                span.end_time_unix_nano = start + per * 1_000_000
                attrs += [_kv("gen_ai.operation.name", "invoke_agent"),
                          _kv("gen_ai.agent.name", "fixer")]  # fmt: skip
            else:
                span.parent_span_id = root_id
            if i and i % 2:
                span.name = "chat gpt-4o"
                span.kind = Span.SPAN_KIND_CLIENT
                attrs += [
                    _kv("gen_ai.operation.name", "chat"),
                    _kv("gen_ai.provider.name", "openai"),
                    _kv("gen_ai.request.model", "gpt-4o"),
                    _kv("gen_ai.response.model", "gpt-4o-2024-08-06"),
                    _kv("gen_ai.response.id", f"chatcmpl-{uuid.uuid4().hex}"),
                    _kv("gen_ai.usage.input_tokens", 900 + 40 * i),
                    _kv("gen_ai.usage.output_tokens", 60 + i),
                    _kv("gen_ai.request.temperature", 0.2),
                    _kv("server.address", "api.openai.com"),
                ]
                if messages:
                    given, answer = _conversation(i // 2, conversation)
                    attrs += [_kv("gen_ai.input.messages", json.dumps(given)),
                              _kv("gen_ai.output.messages", json.dumps(answer))]  # fmt: skip
            elif i:
                span.name = "execute_tool run_tests"
                attrs += [
                    _kv("gen_ai.operation.name", "execute_tool"),
                    _kv("gen_ai.tool.name", "run_tests"),
                    _kv("gen_ai.tool.call.id", f"call_{i}"),
                ]
                if messages:
                    attrs += [
                        _kv("gen_ai.tool.call.arguments", json.dumps({"path": f"tests/t{i}.py"})),
                        _kv("gen_ai.tool.call.result", json.dumps({"passed": i, "failed": 1,
                                                                    "log": "E ImportError " * 20})),
                    ]  # fmt: skip
            span.attributes.extend(attrs)
    return bytes(request.SerializeToString())


def send(url: str, batches: int, messages: bool, connections: int) -> dict[str, Any]:
    """Post ``batches`` requests over ``connections`` connections; return timings."""
    import httpx
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    bodies = [build_batch(i, messages) for i in range(batches)]
    lock = threading.Lock()
    queue = list(range(batches - 1, -1, -1))
    rejected = [0]
    retried = [0]
    failures: list[str] = []

    def worker() -> None:
        with httpx.Client(timeout=120) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    n = queue.pop()
                while True:
                    answer = client.post(
                        url,
                        content=bodies[n],
                        headers={"Content-Type": "application/x-protobuf"},
                    )
                    if answer.status_code in (429, 503):
                        with lock:
                            retried[0] += 1
                        time.sleep(float(answer.headers.get("Retry-After", "1")))
                        continue
                    break
                if answer.status_code != 200:
                    with lock:
                        failures.append(f"{answer.status_code}: {answer.text[:200]}")
                    continue
                reply = ExportTraceServiceResponse.FromString(answer.content)
                with lock:
                    rejected[0] += reply.partial_success.rejected_spans

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "started": started,
        "answered": time.monotonic(),
        "bytes": sum(map(len, bodies)),
        "rejected": rejected[0],
        "retried": retried[0],
        "failures": failures[:5],
    }


# -- the harness -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _pg_schema(base: str) -> Iterator[str]:
    import psycopg

    schema = f"agentreel_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f"CREATE SCHEMA {schema}".encode())
        try:
            yield f"{base}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE".encode())


class _Counter:
    """Counts committed steps straight from the database, as a reader would."""

    def __init__(self, db: str) -> None:
        self.db = db
        if db.startswith("postgresql://"):
            import psycopg

            self._pg = psycopg.connect(db, autocommit=True)
        else:
            import sqlite3

            self._lite = sqlite3.connect(f"file:{db}?mode=ro", uri=True)

    def steps(self) -> int:
        if self.db.startswith("postgresql://"):
            row = self._pg.execute("SELECT COUNT(*) FROM steps").fetchone()
        else:
            row = self._lite.execute("SELECT COUNT(*) FROM steps").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        (self._pg if self.db.startswith("postgresql://") else self._lite).close()


def _serve(
    db: str, port: int, workdir: Path, src: str | None = None, workers: int = 1
) -> subprocess.Popen[bytes]:
    """``agentreel serve`` on ``db``; with ``src``, the package found there (a baseline)."""
    script = "import sys; from agentreel.cli import main; main(sys.argv[1:])"
    env = {k: v for k, v in os.environ.items() if k != "AGENTREEL_DB"}
    if src is not None:
        env["PYTHONPATH"] = src
    return subprocess.Popen(
        [sys.executable, "-c", script, "serve", "--db", db, "--port", str(port)]
        + (["--workers", str(workers)] if workers > 1 else []),
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_healthy(base: str, child: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/healthz", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            if child.poll() is not None or time.monotonic() > deadline:
                err = child.stderr.read().decode() if child.stderr else ""
                raise SystemExit(f"agentreel serve did not start:\n{err}") from None
            time.sleep(0.1)


def _tree_cpu_rss(proc: Any) -> tuple[float, int]:
    """CPU seconds and RSS bytes of a server and its worker processes, together."""
    import psutil

    cpu, rss = 0.0, 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            times = p.cpu_times()
            cpu += times.user + times.system
            rss += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return cpu, rss


def run_one(
    db_kind: str,
    shape: str,
    batches: int,
    connections: int,
    pg: str,
    src: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    import psutil

    spans = batches * SPANS_PER_BATCH
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ingest-bench-")))
        if db_kind == "sqlite":
            db = str(workdir / "reel.db")
        else:
            db = stack.enter_context(_pg_schema(pg))
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _serve(db, port, workdir, src, workers)
        try:
            _wait_healthy(base, server)
            counter = _Counter(db)
            stack.callback(counter.close)
            proc = psutil.Process(server.pid)
            cpu_before, rss_peak = _tree_cpu_rss(proc)
            sender = subprocess.Popen(
                [sys.executable, __file__, "--send", f"{base}/v1/traces", "--batches",
                 str(batches), "--shape", shape, "--connections", str(connections)],
                stdout=subprocess.PIPE,
            )  # fmt: skip
            # Sample RSS while the sender runs (it builds its batches first).
            while sender.poll() is None:
                rss_peak = max(rss_peak, _tree_cpu_rss(proc)[1])
                time.sleep(0.05)
            out, _ = sender.communicate()
            sent = json.loads(out)
            expected = spans - sent["rejected"]
            deadline = time.monotonic() + TIMEOUT_S
            committed = counter.steps()
            while committed < expected and time.monotonic() < deadline:
                rss_peak = max(rss_peak, _tree_cpu_rss(proc)[1])
                time.sleep(0.02)
                committed = counter.steps()
            done = time.monotonic()
            cpu_after, rss_end = _tree_cpu_rss(proc)
            cpu = cpu_after - cpu_before
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    wall = done - sent["started"]
    return {
        "db": db_kind,
        "shape": shape,
        "code": ("baseline" if src else "current") + (f" w{workers}" if workers > 1 else ""),
        "spans": spans,
        "committed": committed,
        "rejected": sent["rejected"],
        "retried": sent["retried"],
        "failures": sent["failures"],
        "mb_sent": round(sent["bytes"] / 1e6, 1),
        "seconds": round(wall, 3),
        "answers_s": round(sent["answered"] - sent["started"], 3),
        "spans_per_s": round(committed / wall),
        "server_cpu_ms_per_span": round(1000 * cpu / max(committed, 1), 4),
        "rss_peak_mib": round(rss_peak / 2**20, 1),
        "rss_end_mib": round(rss_end / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--shape", choices=["plain", "messages", "both"], default="both")
    parser.add_argument("--batches", type=int, default=120, help="512-span requests per run")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL database (a schema is made)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="`agentreel serve --workers N` (CPU and RSS are summed over its processes)",
    )
    parser.add_argument(
        "--baseline-src",
        metavar="DIR",
        help="also run the server with the package under DIR (e.g. from `git archive HEAD src`), "
        "in the same rounds, alternating which goes first",
    )
    parser.add_argument("--send", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        print(json.dumps(send(args.send, args.batches, args.shape == "messages", args.connections)))
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    shapes = ["plain", "messages"] if args.shape == "both" else [args.shape]
    srcs: list[str | None] = [None] if args.baseline_src is None else [None, args.baseline_src]
    results: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for round_ in range(args.rounds):
        for db in dbs:
            for shape in shapes:
                # Alternate which code goes first: the machine's speed drifts.
                for src in srcs if round_ % 2 == 0 else srcs[::-1]:
                    r = run_one(
                        db, shape, args.batches, args.connections, args.pg, src, args.workers
                    )
                    results.setdefault((db, shape, r["code"]), []).append(r)
                    if not args.json:
                        print(
                            f"  {db:8} {shape:8} {r['code']:8} {r['spans_per_s']:>7,} spans/s  ...",
                            flush=True,
                        )
    rows = []
    for runs in results.values():
        best = sorted(runs, key=lambda r: r["spans_per_s"])[len(runs) // 2]
        rows.append({**best, "rounds": [r["spans_per_s"] for r in runs]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"\n{'db':8} {'shape':8} {'code':8} {'spans':>7} {'committed/s':>11} {'min':>7} "
        f"{'max':>7} {'answers s':>9} {'commit s':>8} {'CPU ms/span':>11} {'RSS peak':>9} "
        f"{'RSS end':>8}  rejected"
    )
    for r in rows:
        print(
            f"{r['db']:8} {r['shape']:8} {r['code']:8} {r['spans']:>7,} {r['spans_per_s']:>11,} "
            f"{min(r['rounds']):>7,} {max(r['rounds']):>7,} "
            f"{r['answers_s']:>9.2f} {r['seconds']:>8.2f} {r['server_cpu_ms_per_span']:>11.4f} "
            f"{r['rss_peak_mib']:>7.1f}Mi {r['rss_end_mib']:>6.1f}Mi  {r['rejected']}"
            + (f"  FAILURES {r['failures']}" if r["failures"] else "")
            + ("" if r["committed"] >= r["spans"] - r["rejected"] else "  NOT ALL COMMITTED")
        )
    if args.rounds > 1:
        medians = [
            f"{r['db']}/{r['shape']}/{r['code']} {statistics.median(r['rounds']):,.0f}"
            for r in rows
        ]
        print("(median of rounds: " + ", ".join(medians) + ")")


if __name__ == "__main__":
    main()
