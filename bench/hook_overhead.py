"""Cost of hook dispatch per step: none, an idle manager, 1 and 10 observers, 1 decider.

Records ``--steps`` tool steps (``with agentreel.step("tool", ...)`` in one
session, into an in-memory store) for each configuration, alternating the
configurations for ``--repeat`` rounds in one process, and reports the best
round's time per step and its overhead over recording with no hook manager at
all. Two figures per configuration:

* ``agent``: time on the agent's thread (what the agent waits for);
* ``total``: until the observers have also seen every event (their work runs
  on another thread, but on a busy machine it competes for the same cores).

Issue targets: <= 2 us per step with no hook registered, <= 10 us with ten
trivial observers.

    python bench/hook_overhead.py [--steps 20000] [--repeat 5] [--json]

``--only NAME`` runs one configuration (no overhead column), for counting
instructions: run it under ``valgrind --tool=callgrind --separate-threads=no``
with ``--repeat 1`` at two ``--steps`` and divide the difference.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from typing import Any

import agentreel
from agentreel import hooks
from agentreel.hooks import Call, StepEvent
from agentreel.storage import MemoryStore


class Observer:
    def on_step_start(self, event: StepEvent) -> None:
        pass

    def on_step_end(self, event: StepEvent) -> None:
        pass


class Decider:
    def before_tool_call(self, call: Call) -> Any:
        return None


def _none() -> None:
    hooks.reset()


def _idle() -> None:
    hooks.reset()
    hooks.get_manager()


def _observers(n: int) -> Callable[[], None]:
    def setup() -> None:
        hooks.reset()
        for i in range(n):
            hooks.register(Observer(), name=f"observer{i}")

    return setup


def _decider() -> None:
    hooks.reset()
    hooks.register(Decider())


CONFIGS: dict[str, Callable[[], None]] = {
    "no hook manager": _none,
    "manager, nothing registered": _idle,
    "1 observer": _observers(1),
    "10 observers": _observers(10),
    "1 decider (tool steps)": _decider,
}


def _round(setup: Callable[[], None], steps: int) -> tuple[float, float]:
    agentreel.configure(store=MemoryStore(), queue_size=steps * 2 + 10)
    setup()
    gc.collect()
    with agentreel.session("bench"):
        start = time.perf_counter()
        for _ in range(steps):
            with agentreel.step("tool", "t"):
                pass
        agent = time.perf_counter() - start
        hooks.get_manager().drain(60)
        total = time.perf_counter() - start
    agentreel.shutdown()
    hooks.reset()
    return agent / steps * 1e6, total / steps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", choices=list(CONFIGS), help="run this configuration alone")
    args = parser.parse_args()
    best: dict[str, tuple[float, float]] = {}
    names = [args.only] if args.only else list(CONFIGS)
    for round_ in range(args.repeat):
        # A different order each round: whichever runs first pays for warming up.
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            setup = CONFIGS[name]
            steps = args.steps if "decider" not in name else max(1, args.steps // 10)
            agent, total = _round(setup, steps)
            old = best.get(name)
            best[name] = (agent, total) if old is None else (min(old[0], agent), min(old[1], total))
    # Without the baseline (--only), there is no overhead to report.
    base = best.get("no hook manager")
    rows = {
        name: {
            "agent_us": round(agent, 2),
            "total_us": round(total, 2),
            "agent_overhead_us": round(agent - base[0], 2) if base else None,
            "total_overhead_us": round(total - base[1], 2) if base else None,
        }
        for name, (agent, total) in sorted(best.items(), key=lambda kv: names.index(kv[0]))
    }
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'configuration':32} {'agent us':>9} {'overhead':>9} {'total us':>9} {'overhead':>9}")
    for name, r in rows.items():
        print(
            f"{name:32} {r['agent_us']:9.2f} {_signed(r['agent_overhead_us'])} "
            f"{r['total_us']:9.2f} {_signed(r['total_overhead_us'])}"
        )


def _signed(value: float | None) -> str:
    return f"{value:+9.2f}" if value is not None else f"{'-':>9}"


if __name__ == "__main__":
    main()
