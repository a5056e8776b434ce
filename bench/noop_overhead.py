"""Cost of the recording API when agentreel is not configured (the no-op path).

Libraries can instrument themselves unconditionally only if an unconfigured
agentreel costs next to nothing. This times, with ``timeit`` in one process:
a bare function call; the same function decorated with ``@agentreel.tool``;
``with agentreel.step(...)`` around nothing; ``agentreel.event(...)``; and
``with agentreel.session(...)``. Reports ns per call (best of ``--repeat``)
and the overhead over the bare call.

    python bench/noop_overhead.py
"""

from __future__ import annotations

import argparse
import json
import timeit

import agentreel


def plain(x: int) -> int:
    return x


@agentreel.tool
def decorated(x: int) -> int:
    return x


def with_step() -> None:
    with agentreel.step("tool", "t"):
        pass


def with_event() -> None:
    agentreel.event("e", k=1)


def with_session() -> None:
    with agentreel.session("s"):
        pass


CASES = {
    "bare call": lambda: plain(1),
    "@agentreel.tool call": lambda: decorated(1),
    "with agentreel.step()": with_step,
    "agentreel.event()": with_event,
    "with agentreel.session()": with_session,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    agentreel.shutdown()  # make sure nothing is configured
    result = {}
    for name, fn in CASES.items():
        best = min(timeit.repeat(fn, number=args.number, repeat=args.repeat))
        result[name] = best / args.number * 1e9
    if args.json:
        print(json.dumps({"ns_per_call": result}))
        return
    bare = result["bare call"]
    print(f"unconfigured agentreel, ns per call (best of {args.repeat} x {args.number}):")
    for name, ns in result.items():
        extra = "" if name == "bare call" else f"   (+{ns - bare:.0f} ns over the bare call)"
        print(f"  {name:<26} {ns:8.0f}{extra}")


if __name__ == "__main__":
    main()
