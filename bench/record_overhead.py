"""Recording overhead: CPU per recorded step, all threads counted, against baselines.

Records N steps (default 20,000), nested three deep, each with eight attributes
one of which is a distinct 1 KB string, into a SQLite file; and does the same
work as a bare function call and through the OpenTelemetry SDK with an
exporter that discards spans (BatchSpanProcessor, the SDK's production
setup). CPU time is ``time.process_time()``: user + system time of every
thread in the process, so the background writer and the SDK's export thread
are counted. Each variant runs in a fresh subprocess, in turns, ``--rounds``
times; the median is reported.

    python bench/record_overhead.py                 # the comparison
    python bench/record_overhead.py --rss 1000000   # peak RSS growth over 1M steps
    python bench/record_overhead.py --baseline-src /tmp/old/src   # before/after

``--baseline-src`` adds a variant that records with the ``agentreel`` package
found in another source tree (say, ``git archive HEAD src | tar -x -C
/tmp/old``), in the same rounds as the others: on a shared machine only
figures from one run compare.

Prints a table; ``--json`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ATTRS = 8
DEPTH = 3


def _payloads(n: int) -> list[str]:
    # Distinct 1 KB strings, built before timing: nothing can be cached across steps.
    base = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    text = (base * 14)[:1000]
    return [f"{i:08d}" + text[:1016] for i in range(n)]


def _attrs(i: int, big: str) -> dict[str, object]:
    return {
        "gen_ai.system": "openai",
        "step.index": i,
        "tool.name": "search",
        "retry": False,
        "score": 0.5,
        "user.query": "why does the test fail",
        "shard": i % 7,
        "document": big,
    }


def run_bare(n: int) -> float:
    big = _payloads(n)

    def leaf(i: int) -> dict[str, object]:
        return _attrs(i, big[i])

    def mid(i: int) -> dict[str, object]:
        return leaf(i)

    def top(i: int) -> dict[str, object]:
        return mid(i)

    start = time.process_time()
    for i in range(0, n, DEPTH):
        top(i)
    return time.process_time() - start


def run_agentreel(n: int, db: str, *, redact: bool = True) -> float:
    import agentreel

    big = _payloads(n)
    agentreel.configure(db=db, queue_size=100_000, redact=redact)
    start = time.process_time()
    with agentreel.session("bench"):
        for i in range(0, n, DEPTH):
            with agentreel.step("agent", "top", attributes=_attrs(i, big[i])):
                with agentreel.step("tool", "mid", attributes=_attrs(i + 1, big[i + 1])):
                    with agentreel.step("llm", "leaf", attributes=_attrs(i + 2, big[i + 2])):
                        pass
    agentreel.flush(timeout=120)
    elapsed = time.process_time() - start
    lost = agentreel.stats()
    agentreel.shutdown()
    if lost["dropped_queue_full"] or lost["write_errors"]:
        raise SystemExit(f"lost records during the benchmark: {lost}")
    return elapsed


def run_otel(n: int) -> float:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class Discard(SpanExporter):
        def export(self, spans: object) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    big = _payloads(n)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard(), max_queue_size=100_000))
    tracer = provider.get_tracer("bench")
    start = time.process_time()
    for i in range(0, n, DEPTH):
        with tracer.start_as_current_span("top", attributes=_attrs(i, big[i])):
            with tracer.start_as_current_span("mid", attributes=_attrs(i + 1, big[i + 1])):
                with tracer.start_as_current_span("leaf", attributes=_attrs(i + 2, big[i + 2])):
                    pass
    provider.force_flush()
    elapsed = time.process_time() - start
    provider.shutdown()
    return elapsed


def run_rss(n: int, db: str) -> dict[str, float]:
    import resource

    import agentreel

    def peak_mib() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    agentreel.configure(db=db, queue_size=10_000)
    big = _payloads(1000)
    marks: dict[str, float] = {}
    with agentreel.session("rss"):
        for i in range(0, n, DEPTH):
            with agentreel.step("agent", "top", attributes=_attrs(i, big[i % 1000])):
                with agentreel.step("tool", "mid", attributes=_attrs(i, big[(i + 1) % 1000])):
                    with agentreel.step("llm", "leaf", attributes=_attrs(i, big[(i + 2) % 1000])):
                        pass
            if i and i % 3_000 == 0:
                # Keep pace with the writer: a loop of empty steps produces them
                # several times faster than any store commits them, and the
                # recorder drops (and counts) what does not fit its queue.
                agentreel.flush(timeout=60)
            if i == 9_999:
                marks["after_10k_mib"] = peak_mib()
    agentreel.flush(timeout=600)
    marks["after_all_mib"] = peak_mib()
    marks["dropped"] = float(agentreel.stats()["dropped_queue_full"])
    agentreel.shutdown()
    return marks


def _child(variant: str, n: int) -> None:
    n -= n % DEPTH  # whole three-deep nests only
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bench.db")
        if variant == "bare":
            result: object = run_bare(n)
        elif variant == "agentreel":
            result = run_agentreel(n, db)
        elif variant == "agentreel-noredact":
            result = run_agentreel(n, db, redact=False)
        elif variant == "otel":
            result = run_otel(n)
        elif variant == "rss":
            result = run_rss(n, db)
        else:
            raise SystemExit(f"unknown variant {variant}")
    print(json.dumps(result))


BASELINE = "agentreel-baseline"


def _has_speedups(src: str | None = None) -> bool:
    """Whether the agentreel package (the one under ``src``) has its C extension built.

    ``git archive`` does not carry the built extension: a baseline tree made
    that way records with the pure-Python prefilter unless it is built there.
    """
    env = None if src is None else {**os.environ, "PYTHONPATH": os.path.abspath(src)}
    check = [sys.executable, "-c", "import agentreel._speedups"]
    return subprocess.run(check, env=env, capture_output=True).returncode == 0


def _spawn(variant: str, n: int, baseline_src: str | None = None) -> object:
    env = None
    if variant == BASELINE:
        # The other tree comes first on sys.path, ahead of the installed package.
        env = {**os.environ, "PYTHONPATH": os.path.abspath(baseline_src or "")}
        variant = "agentreel"
    out = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--steps", str(n)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rss", type=int, metavar="STEPS", help="measure peak RSS growth")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--baseline-src",
        metavar="DIR",
        help="also record with the agentreel package under DIR (another checkout's src/)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.steps)
        return
    if args.rss:
        marks = _spawn("rss", args.rss)
        print(json.dumps(marks) if args.json else marks)
        return
    variants = ["bare", "agentreel", "agentreel-noredact", "otel"]
    if args.baseline_src:
        if not os.path.isdir(os.path.join(args.baseline_src, "agentreel")):
            raise SystemExit(f"--baseline-src: no agentreel package under {args.baseline_src}")
        variants.insert(2, BASELINE)
    speedups = {"agentreel": _has_speedups()}
    if args.baseline_src:
        speedups[BASELINE] = _has_speedups(args.baseline_src)
    runs: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(args.rounds):
        for v in variants:
            seconds = _spawn(v, args.steps, args.baseline_src)
            assert isinstance(seconds, float)
            runs[v].append(seconds / (args.steps - args.steps % DEPTH) * 1e6)
    result = {v: statistics.median(us) for v, us in runs.items()}
    if args.json:
        print(json.dumps({"us_per_step": result, "runs": runs, "c_extension": speedups}))
        return
    print(f"{args.steps} steps, {args.rounds} rounds, median CPU us per step (all threads):")
    built = ", ".join(f"{v} {'yes' if has else 'no'}" for v, has in speedups.items())
    print(f"  (C extension agentreel._speedups: {built})")
    for v in variants:
        lo, hi = min(runs[v]), max(runs[v])
        print(f"  {v:<19} {result[v]:8.2f}   (min {lo:.2f}, max {hi:.2f})")
    print(f"  agentreel / otel = {result['agentreel'] / result['otel']:.2f}")
    if args.baseline_src:
        print(f"  baseline / otel  = {result[BASELINE] / result['otel']:.2f}")


if __name__ == "__main__":
    main()
