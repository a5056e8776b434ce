"""``@pytest.mark.agentreel(reel=...)``: record on the first run, replay strictly afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentreel.testing import FakeLLMServer

pytest_plugins = ["pytester"]

# The plugin is registered through its pytest11 entry point (pyproject.toml):
# the runs below load it the way a user's test run does.
PLUGIN: tuple[str, ...] = ()

AGENT_TEST = """
import os

import openai
import pytest

import agentreel


@agentreel.tool
def add(a: int, b: int) -> int:
    return a + b


@pytest.mark.agentreel(reel="reels/test_agent.reel")
def test_agent():
    client = openai.OpenAI(base_url=os.environ["AGENT_BASE_URL"], api_key="sk-test", max_retries=0)
    prompt = os.environ.get("AGENT_PROMPT", "add 2 and 3")
    reply = client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": prompt}]
    )
    assert reply.choices[0].message.content == "echo: " + prompt
    if not os.environ.get("AGENT_SKIP_TOOL"):
        assert add(2, 3) == 5


def test_unmarked_runs_as_usual():
    assert add(1, 1) == 2
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        monkeypatch.setenv("AGENT_BASE_URL", fake.openai_base_url)
        yield fake


@pytest.fixture
def agent_test(pytester: pytest.Pytester, server: FakeLLMServer) -> pytest.Pytester:
    pytester.makepyfile(test_agent=AGENT_TEST)
    first = pytester.runpytest(*PLUGIN)
    first.assert_outcomes(passed=2)
    assert len(server.requests) == 1
    return pytester


def test_the_first_run_records_the_reel(agent_test: pytest.Pytester) -> None:
    reel = agent_test.path / "reels" / "test_agent.reel"
    lines = reel.read_text().splitlines()
    assert '"name":"add"' in reel.read_text()
    assert '"type":"session"' in lines[1].replace(" ", "")


def test_later_runs_are_served_from_the_reel(
    agent_test: pytest.Pytester, server: FakeLLMServer
) -> None:
    server.stop()
    again = agent_test.runpytest(*PLUGIN)
    again.assert_outcomes(passed=2)
    assert len(server.requests) == 1


def test_a_changed_request_fails_with_the_report(
    agent_test: pytest.Pytester, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_PROMPT", "add 4 and 5")
    again = agent_test.runpytest(*PLUGIN)
    again.assert_outcomes(failed=1, passed=1)
    again.stdout.fnmatch_lines(
        [
            "*departed from its recording*",
            "*mismatch at recorded step 1*",
            '*input.body.messages[[]0[]].content: "add 2 and 3" -> "add 4 and 5"*',
        ]
    )
    assert len(server.requests) == 1  # strict: the model was never asked


def test_a_recording_left_unused_fails(
    agent_test: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_SKIP_TOOL", "1")
    again = agent_test.runpytest(*PLUGIN)
    again.assert_outcomes(failed=1, passed=1)
    again.stdout.fnmatch_lines(["*the run ended before consuming the recording*"])


def test_reel_record_records_again(
    agent_test: pytest.Pytester, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_PROMPT", "add 4 and 5")
    agent_test.runpytest(*PLUGIN, "--reel-record").assert_outcomes(passed=2)
    assert len(server.requests) == 2
    server.stop()
    agent_test.runpytest(*PLUGIN).assert_outcomes(passed=2)


def test_a_failing_first_run_writes_no_reel(
    pytester: pytest.Pytester, server: FakeLLMServer
) -> None:
    pytester.makepyfile(
        test_failing="""
import pytest

@pytest.mark.agentreel(reel="failing.reel")
def test_fails():
    assert False
"""
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(failed=1)
    assert not (pytester.path / "failing.reel").exists()


def test_the_marker_needs_a_reel(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
import pytest

@pytest.mark.agentreel
def test_it():
    pass
"""
    )
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.agentreel needs reel=*"])


def test_the_plugin_is_registered_by_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "def test_x(pytestconfig):\n    assert pytestconfig.pluginmanager.has_plugin('agentreel')\n"
    )
    pytester.runpytest().assert_outcomes(passed=1)
