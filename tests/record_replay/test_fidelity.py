"""A replay must give a real program exactly what its recording gave it.

Each scenario runs ``fidelity_agent.py`` under ``agentreel record`` against the
fake server, stops the server, and runs it again under a strict ``agentreel
replay``: same output, no request, and the same tree of steps.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from agentreel.storage import SQLiteStore
from agentreel.testing import Answer, FakeLLMServer, HTTPError, ToolCall, Usage

from .conftest import Cli

AGENT = Path(__file__).with_name("fidelity_agent.py")
ID = re.compile(r"recorded session ([0-9a-f]{32})")
Tree = list[tuple[int, str, str, int | None]]


def _tree(cli: Cli, session_id: str) -> Tree:
    store = SQLiteStore(cli.db)
    try:
        steps = store.get_steps(session_id)
    finally:
        store.close()
    return [(s.number, str(s.kind), s.name, s.parent_number) for s in steps]


def _shape(tree: Tree) -> object:
    """The tree with step numbers taken out and siblings sorted.

    Threads start their steps in whatever order the scheduler picks, so two
    runs of a thread pool number their steps differently; what must match is
    which step sits under which.
    """
    kids: dict[int | None, list[tuple[int, str, str]]] = {}
    for number, kind, name, parent in tree:
        kids.setdefault(parent, []).append((number, kind, name))

    def node(parent: int | None) -> list[object]:
        return sorted(
            ((kind, name, node(number)) for number, kind, name in kids.get(parent, [])), key=repr
        )

    return node(None)


def _round_trip(
    cli: Cli,
    server: FakeLLMServer,
    scenario: str,
    env: dict[str, str] | None = None,
    *,
    ordered: bool = True,
) -> tuple[str, Tree]:
    """Records then replays one scenario; returns its output and its step tree.

    With ``ordered=False`` (threads) the replayed tree must have the recorded
    shape; otherwise it must match step number for step number.
    """
    program = ["--", sys.executable, str(AGENT), scenario]
    recorded = cli("record", *program, env=env)
    assert recorded.code == 0, recorded.err
    found = ID.search(recorded.err)
    assert found is not None, recorded.err
    tree = _tree(cli, found.group(1))
    seen = len(server.requests)
    server.stop()

    replayed = cli("replay", found.group(1), "--json", *program, env=env)
    assert replayed.code == 0, replayed.err
    result = replayed.json()
    assert result["ok"] is True, result
    # Model, tool and retrieval calls are answered; agents (structure) and the
    # seams' value events run as code and come back with their steps.
    assert result["served"] == sum(kind in ("llm", "tool", "retrieval") for _, kind, _, _ in tree)
    # With --json the program's output goes to stderr, and nothing else does.
    assert replayed.err == recorded.out
    assert len(server.requests) == seen
    assert result["new_session_id"] not in (None, found.group(1))
    replayed_tree = _tree(cli, result["new_session_id"])
    if ordered:
        assert replayed_tree == tree
    else:
        assert _shape(replayed_tree) == _shape(tree)
    return recorded.out, tree


def test_anthropic_tool_use_round_trip(cli: Cli, server: FakeLLMServer) -> None:
    server.reply(
        Answer(tool_calls=[ToolCall(name="lookup", arguments={"city": "Oslo"})]),
        Answer(text="Oslo is at 18 degrees.", usage=Usage(input=40, output=6)),
    )
    out, tree = _round_trip(cli, server, "anthropic-tool-use")
    assert "tool result: {'city': 'Oslo', 'celsius': 18}\n" in out
    assert out.endswith("final: ['Oslo is at 18 degrees.']\nusage: 40 6\n")
    assert tree == [
        (1, "llm", "anthropic.messages", None),
        (2, "tool", "lookup", None),
        (3, "llm", "anthropic.messages", None),
    ]


def test_openai_stream_keeps_its_chunks(cli: Cli, server: FakeLLMServer) -> None:
    server.reply(Answer(text=["Once ", "upon ", "a ", "time."], usage=Usage(input=3, output=4)))
    out, tree = _round_trip(cli, server, "openai-stream")
    # A role chunk, four text chunks, the finish chunk and the usage chunk.
    assert out == (
        "chunks: 7\n"
        "pieces: ['', 'Once ', 'upon ', 'a ', 'time.', '']\n"
        "text: Once upon a time.\n"
        "usage: (3, 4)\n"
    )
    assert tree == [(1, "llm", "openai.chat.completions", None)]


def test_async_gather_of_three_calls(cli: Cli, server: FakeLLMServer) -> None:
    out, tree = _round_trip(cli, server, "async-gather")
    assert out == "one -> echo: one\ntwo -> echo: two\nthree -> echo: three\n"
    assert [(kind, name) for _, kind, name, _ in tree] == [("llm", "openai.chat.completions")] * 3


def test_a_thread_pool_of_three_workers(cli: Cli, server: FakeLLMServer) -> None:
    out, tree = _round_trip(cli, server, "thread-pool", ordered=False)
    assert out == "red -> echo: red\ngreen -> echo: green\nblue -> echo: blue\n"
    agents = [number for number, kind, _, _ in tree if kind == "agent"]
    calls = [parent for _, kind, _, parent in tree if kind == "llm"]
    assert len(agents) == 3
    assert sorted(calls) == sorted(agents)  # each call under its own worker


def test_a_hand_off_between_two_agents(cli: Cli, server: FakeLLMServer) -> None:
    out, tree = _round_trip(cli, server, "hand-off")
    assert out == (
        "plan: echo: plan: a walk\nresult: echo: do echo: plan: a walk given 18 degrees\n"
    )
    assert [(kind, name) for _, kind, name, _ in tree] == [
        ("agent", "planner"),
        ("llm", "openai.chat.completions"),
        ("agent", "executor"),
        ("tool", "lookup"),
        ("llm", "openai.chat.completions"),
    ]


def test_a_retry_after_429_replays_without_the_wait(
    cli: Cli, server: FakeLLMServer, tmp_path: Path
) -> None:
    server.reply(HTTPError(status=429, retry_after=0.2), Answer(text="now I can"))
    timing = tmp_path / "elapsed"
    out, tree = _round_trip(cli, server, "retry-after-429", env={"FIDELITY_TIMING": str(timing)})
    assert out == "answer: now I can\n"
    assert tree == [
        (1, "llm", "openai.chat.completions", None),
        (2, "llm", "openai.chat.completions", None),
    ]
    assert len(server.requests) == 2
    # One line per run. The replayed client still honours the recorded Retry-After, so the
    # replay takes about as long as the recording did: a short wait, not the SDK's back-off.
    record_time, replay_time = (float(line) for line in timing.read_text().split())
    assert record_time >= 0.2
    assert replay_time < 1.5


def test_a_tool_that_raises_is_caught_the_same_way(cli: Cli, server: FakeLLMServer) -> None:
    out, tree = _round_trip(cli, server, "tool-raises")
    assert out == (
        "divide: 3.0\ncaught: ZeroDivisionError division by zero\nmodel: echo: the tool failed\n"
    )
    assert tree == [
        (1, "tool", "divide", None),
        (2, "tool", "divide", None),
        (3, "llm", "openai.chat.completions", None),
    ]


def test_control_flow_on_the_seams_takes_the_recorded_branch(
    cli: Cli, server: FakeLLMServer
) -> None:
    out, tree = _round_trip(cli, server, "nondeterminism")
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["branch"] == ("heads" if float(lines["random"]) < 0.5 else "tails")
    assert lines["model"] == f"echo: {lines['branch']} {lines['uuid'].replace('-', '')[:8]}"
    assert server.requests[0].body["messages"][0]["content"] == lines["model"][len("echo: ") :]
    assert tree == [
        (1, "event", "agentreel.values", None),
        (2, "event", "agentreel.values", None),
        (3, "event", "agentreel.values", None),
        (4, "llm", "openai.chat.completions", None),
    ]
