"""Detector throughput: every detector over 1,000 stored sessions of 200 steps each.

The sessions are generated once into a SQLite file (``--db``, by default
in the temporary directory: ``agentreel-bench/detectors-v2-1000x200.db``)
and reused by later runs. Each session is a
planner and five worker agents, each worker a conversation of 19 model calls
with a growing message list (stored as hash chains, as the recorder stores
them) and the tool calls they ask for; some tools fail, some sessions carry
a cost spike, a dropped system prompt, a retried failure or a cycle, so the
detectors have something to find. Sessions start five minutes apart in one
project, so every analysis has a full 50-session baseline.

    python bench/detectors.py                 # generate if needed, then time the detectors
    python bench/detectors.py --sessions 200  # a smaller run (its own file)
    python bench/detectors.py --long          # one session of 10,105 steps instead

Times ``analyze()`` over every session, oldest first, with every detector
on: the default settings plus a rule and a daily budget. Prints the total
and per-session wall time, and the findings by kind (``--json`` for JSON).
``--long`` times ``analyze()`` of one session of 100 agents of 50 model calls
each (10,105 steps, the same shapes), three times, after 50 ordinary sessions
of the same project (its baseline).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from agentreel.detectors import DetectorConfig, Rule, analyze, analyze_sessions
from agentreel.model import ErrorInfo, Session, Status, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.storage import SessionFilter, SQLiteStore, WriteBatch

STEPS = 200
#: Part of the cache file's name: bump it when what is generated changes.
FORMAT = 2
AGENTS = 5
CALLS = 19  # 3 planner steps + 5 × (1 + 2 × 19) + 2 events = 200
MS = 1_000_000
T0 = 1_767_225_600 * 1000 * MS
SYSTEM = (
    "You are the {agent} agent of a coding assistant. Make the smallest change that works. "
    "Never edit the tests. Explain every change in one sentence. Keep strict mode on."
)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
            },
        },
    }
    for name in ("read_file", "run_tests", "search_code")
]


def _answer(calls: list[tuple[str, tuple[str, Any]]], text: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for cid, (n, a) in calls
        ]
    return {"object": "chat.completion", "model": "gpt-4o-mini", "choices": [{"message": message}]}


def _session(
    rng: random.Random,
    index: int,
    encoder: PayloadEncoder,
    agents: int = AGENTS,
    calls: int = CALLS,
) -> WriteBatch:
    sid = f"{index:08x}{rng.getrandbits(96):024x}"
    start = T0 + index * 300_000 * MS
    rows: list[StepRow] = []
    blobs: dict[str, bytes] = {}
    fault = rng.choice(("none", "none", "none", "spike", "drop", "retry", "cycle"))

    def ref(value: Any) -> str:
        encoded = encoder.encode(value)
        blobs.update(encoded.blobs)
        return encoded.root

    def add(kind: str, name: str, parent: int | None, **extra: Any) -> int:
        number = len(rows) + 1
        began = start + number * 10 * MS
        rows.append(
            StepRow(
                sid, number, f"{index:08x}{number:08x}", parent,
                None if parent is None else f"{index:08x}{parent:08x}",
                kind, name, extra.get("status", "ok"), began, began + 5 * MS,
                extra.get("attributes", {}), extra.get("model"),
                extra.get("tokens", (0, 0))[0], extra.get("tokens", (0, 0))[1], 0, 0,
                extra.get("cost"), extra.get("input"), extra.get("output"), extra.get("error"),
            )
        )  # fmt: skip
        return number

    planner = add("agent", "planner", None)
    plan = {"steps": [{"id": f"s{i}", "agent": f"worker{i}"} for i in range(agents)]}
    add("plan", "plan", planner, output=ref(plan))
    asked = {"system": "Plan.", "messages": [{"role": "user", "content": "go"}]}
    said = {"type": "message", "content": [{"type": "text", "text": json.dumps(plan)}]}
    add("llm", "messages.create", planner, model="claude-sonnet-4-5", tokens=(900, 120),
        cost=0.0045, input=ref(asked), output=ref(said))  # fmt: skip
    for a in range(agents):
        agent = add("agent", f"worker{a}", None, attributes={"plan_step": f"s{a}"})
        brief = f"Do part {a} of task {index}."
        history: list[dict[str, Any]] = [{"role": "user", "content": brief}]
        for c in range(calls):
            system = SYSTEM.format(agent=f"worker{a}")
            if fault == "drop" and a == 1 and c >= 10:
                system = system.split(". ")[0] + "."
            if fault == "cycle" and a == 2 and 4 <= c < 10:
                tool, path = (("read_file", "src/a.py"), ("search_code", "total"))[c % 2]
            elif fault == "retry" and a == 3 and c in (5, 6):
                tool, path = "run_tests", "tests/test_x.py"
            else:
                tool = rng.choice(("read_file", "run_tests", "search_code"))
                path = f"src/m{a}/f{c}.py"
            prompt = 400 + sum(len(m["content"] or "") // 4 for m in history)
            if fault == "spike" and a == 4 and c == 0:
                prompt += 40_000
            request = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": system},
                                                            *history], "tools": TOOLS}  # fmt: skip
            cid = f"call_{index}_{a}_{c}"
            add("llm", "chat.completions.create", agent, model="gpt-4o-mini",
                tokens=(prompt, 40), cost=prompt * 0.15e-6 + 40 * 0.6e-6, input=ref(request),
                output=ref(_answer([(cid, (tool, {"path": path}))], None)))  # fmt: skip
            failed = rng.random() < 0.04 or (fault == "retry" and a == 3 and c in (5, 6))
            error = ErrorInfo(type="TimeoutError", message=f"timed out after {rng.randint(5, 30)}s")
            result = f"# {path}\n" + "x = 1\n" * (5 + len(path) % 30)  # a file reads the same twice
            add("tool", tool, agent, input=ref({"path": path}),
                output=None if failed else ref(result),
                status="error" if failed else "ok", error=error if failed else None)  # fmt: skip
            history = [
                *history,
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": cid, "type": "function",
                     "function": {"name": tool, "arguments": json.dumps({"path": path})}}]},
                {"role": "tool", "tool_call_id": cid,
                 "content": f"TimeoutError: {error.message}" if failed else result},
            ]  # fmt: skip
    add("event", "checkpoint", None)
    add("event", "done", None)
    assert len(rows) == 3 + agents * (1 + 2 * calls) + 2, len(rows)
    session = Session(id=sid, name=f"task-{index}", project="bench", status=Status.OK,
                      started_at=start, ended_at=start + (len(rows) + 1) * 10 * MS)  # fmt: skip
    return WriteBatch(sessions=[session], steps=rows, blobs=blobs)


def generate(path: Path, sessions: int, seed: int = 7, *, long: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    encoder = PayloadEncoder()
    store = SQLiteStore(path)
    try:
        for index in range(sessions):
            store.write(_session(rng, index, encoder))
        if long:
            store.write(_session(rng, sessions, encoder, agents=100, calls=50))
    finally:
        store.close()


def _config() -> DetectorConfig:
    return DetectorConfig(
        rules=(Rule("no-force-push", pattern=r"push\s+(--force|-f)\b"),), daily_budget_usd=50.0
    )


def long_session(path: Path, as_json: bool) -> int:
    """Time ``analyze()`` of the newest session of ``path``: the long one."""
    store = SQLiteStore(path, create=False)
    try:
        (newest,) = store.list_sessions(SessionFilter(limit=1))
        times = []
        for _ in range(3):
            began = time.perf_counter()
            report = analyze(store, newest.session.id, config=_config())
            times.append(time.perf_counter() - began)
    finally:
        store.close()
    figures = {
        "steps": newest.step_count,
        "runs_s": [round(t, 2) for t in times],
        "findings": len(report.findings),
    }
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        runs = ", ".join(f"{t:.2f}" for t in times)
        found = len(report.findings)
        print(f"one session of {newest.step_count:,} steps: {runs} s ({found} findings)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--long", action="store_true", help="time one 10,105-step session")
    args = parser.parse_args(argv)
    cache = Path(tempfile.gettempdir()) / "agentreel-bench"
    if args.long:
        args.sessions = 50
    name = f"detectors-v{FORMAT}-{args.sessions}x{STEPS}{'-long' if args.long else ''}.db"
    path = args.db or cache / name
    if not path.exists():
        began = time.perf_counter()
        generate(path, args.sessions, long=args.long)
        print(f"generated {path} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    if args.long:
        return long_session(path, args.json)
    config = _config()
    store = SQLiteStore(path, create=False)
    try:
        ids = [s.session.id for s in store.list_sessions(SessionFilter(limit=None))]
        ids.reverse()  # oldest first, as they would have been analysed when recorded
        kinds: Counter[str] = Counter()
        began, cpu = time.perf_counter(), time.process_time()
        for report in analyze_sessions(store, ids, config=config):
            for finding in report.findings:
                kinds[finding.kind] += 1
        total, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        store.close()
    figures: dict[str, Any] = {
        "sessions": len(ids),
        "steps_per_session": STEPS,
        "total_s": round(total, 2),
        "cpu_s": round(cpu, 2),
        "per_session_ms": round(1000 * total / max(len(ids), 1), 2),
        "findings": dict(sorted(kinds.items())),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"{figures['sessions']} sessions × {STEPS} steps: {figures['total_s']} s "
            f"({figures['per_session_ms']} ms a session; {figures['cpu_s']} s of CPU)"
        )
        for kind, count in figures["findings"].items():
            print(f"  {kind:20} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
