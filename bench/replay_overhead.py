"""Replay overhead: what serving a recorded step costs over recording it live.

Records a session of N model and tool calls (default 1,000, alternating, no
model latency: the "model" returns a canned OpenAI-shaped answer at once)
into a SQLite file, then replays it. The replay run is recorded too, as
replays are by default, so both loops pay for recording; the difference is
replay's own work: loading and checking the recording, digesting each live
request, matching and serving it.

    python bench/replay_overhead.py              # the figures, as a table
    python bench/replay_overhead.py --json       # the same as JSON
    python bench/replay_overhead.py --baseline-src /tmp/old/src   # before/after

The overhead is the median of each round's own difference (replaying minus
recording live), so a round's two halves share the machine's speed of the
moment. ``--baseline-src`` runs every round in a fresh process, the current
package and the one under DIR in turns.

Wall time is ``time.perf_counter()``; CPU time is ``time.process_time()``
(every thread, so the background writer counts). Each round uses a fresh
database; the median of ``--rounds`` is reported.
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
from pathlib import Path
from typing import Any

import agentreel
from agentreel.payloads import _blobs

SYSTEM = {"role": "system", "content": "You fix failing tests. Answer briefly."}


@agentreel.tool
def read_file(path: str, line: int) -> str:
    return f"{path}:{line}: return a / b"


@agentreel.llm
def ask(messages: list[dict[str, Any]], model: str = "gpt-4o-mini") -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "read more"}}],
        "usage": {"prompt_tokens": 40 * len(messages), "completion_tokens": 3},
    }


@agentreel.agent(name="bench")
def agent(n: int) -> int:
    window: list[dict[str, Any]] = []
    for i in range(n // 2):
        text = read_file("calc.py", i)
        window = [*window[-5:], {"role": "user", "content": text}]
        reply = ask([SYSTEM, *window])
        window.append(reply["choices"][0]["message"])
    return len(window)


def _forget_hashes() -> None:
    """Empty the process's memory of chain hashes (``payloads._blobs._MEMO``).

    A replay usually runs in a process of its own; here the recording before
    it (and earlier rounds) would have taught it every hash of the session.
    """
    memo = getattr(_blobs, "_MEMO", None)  # absent in code before it was shared
    if memo is not None:
        memo.clear()


def _check_nothing_lost() -> None:
    lost = agentreel.stats()
    if lost["dropped_queue_full"] or lost["write_errors"]:
        raise SystemExit(f"lost records during the benchmark: {lost}")


def one_round(n: int, directory: Path, index: int) -> dict[str, float]:
    db = directory / f"round{index}.db"
    _forget_hashes()
    agentreel.configure(db=db, queue_size=100_000)
    wall, cpu = time.perf_counter(), time.process_time()
    with agentreel.session("bench") as s:
        agent(n)
    agentreel.flush(timeout=60)
    record_wall, record_cpu = time.perf_counter() - wall, time.process_time() - cpu
    _check_nothing_lost()

    # A replay usually runs in a process of its own: start it with a fresh
    # recorder (whose writer, in older code, kept its own memory of hashes)
    # and an empty shared memory, so the recording does not warm it up.
    agentreel.shutdown()
    agentreel.configure(db=db, queue_size=100_000)
    _forget_hashes()
    wall, cpu = time.perf_counter(), time.process_time()
    # Loads and checks the recording: its steps and every output payload (the
    # inputs are read only if a request does not match byte for byte).
    session = agentreel.replay(s.id)
    load_wall = time.perf_counter() - wall
    with session as r, agentreel.session("bench"):
        agent(n)
    replay_wall, replay_cpu = time.perf_counter() - wall, time.process_time() - cpu
    _check_nothing_lost()
    agentreel.shutdown()
    if not r.result.ok or r.result.served != n or r.result.live:
        raise SystemExit(f"the replay did not serve every step: {r.result.render()}")
    return {
        "record_wall_s": record_wall,
        "record_cpu_s": record_cpu,
        "replay_wall_s": replay_wall,
        "replay_cpu_s": replay_cpu,
        "load_wall_s": load_wall,
    }


def _rounds_here(n: int, rounds: int) -> list[dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        one_round(n, Path(tmp), -1)  # warm-up: imports, first SQLite file
        return [one_round(n, Path(tmp), i) for i in range(rounds)]


def _round_in(n: int, src: str | None) -> dict[str, float]:
    """One round in a fresh process, with the package under ``src`` if given."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, __file__, "-n", str(n), "--rounds", "1", "--raw"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rounds: list[dict[str, float]] = json.loads(out)
    return rounds[0]


def _figures(n: int, rounds: list[dict[str, float]]) -> dict[str, float]:
    us = 1e6 / n

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds) * us

    def paired(a: str, b: str) -> float:
        # The median of each round's own difference: both halves of a round
        # ran seconds apart, so they share that moment's machine speed.
        return statistics.median(r[a] - r[b] for r in rounds) * us

    return {
        "steps": n,
        "rounds": len(rounds),
        "record_wall_us_per_step": median("record_wall_s"),
        "replay_wall_us_per_step": median("replay_wall_s"),
        "overhead_wall_us_per_step": paired("replay_wall_s", "record_wall_s"),
        "overhead_cpu_us_per_step": paired("replay_cpu_s", "record_cpu_s"),
        "load_wall_us_per_step": median("load_wall_s"),
    }


def _print(name: str, figures: dict[str, float]) -> None:
    print(f"{name}: replay overhead, {figures['steps']} served steps, {figures['rounds']} rounds")
    print(f"  recording the run live     {figures['record_wall_us_per_step']:8.1f} µs/step wall")
    print(f"  replaying it (recorded)    {figures['replay_wall_us_per_step']:8.1f} µs/step wall")
    print(f"  overhead of replay         {figures['overhead_wall_us_per_step']:8.1f} µs/step wall")
    print(f"                             {figures['overhead_cpu_us_per_step']:8.1f} µs/step CPU")
    print(f"    of which loading         {figures['load_wall_us_per_step']:8.1f} µs/step wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="served steps (model + tool calls)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--baseline-src",
        metavar="DIR",
        help="also replay with the package under DIR (e.g. from `git archive HEAD src`); "
        "each round of each runs in a fresh process, alternating which goes first",
    )
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw:  # one child of --baseline-src: the rounds as measured
        print(json.dumps(_rounds_here(args.n, args.rounds)))
        return
    results: dict[str, list[dict[str, float]]] = {"current": []}
    if args.baseline_src:
        results["baseline"] = []
        for i in range(args.rounds):
            order = [("current", None), ("baseline", args.baseline_src)]
            for name, src in order if i % 2 == 0 else order[::-1]:
                results[name].append(_round_in(args.n, src))
    else:
        results["current"] = _rounds_here(args.n, args.rounds)
    figures = {name: _figures(args.n, rounds) for name, rounds in results.items()}
    if args.json:
        print(json.dumps(figures if args.baseline_src else figures["current"], indent=2))
        return
    for name, figs in figures.items():
        _print(name, figs)
    print("  target: <= 50 µs per served step")


if __name__ == "__main__":
    main()
