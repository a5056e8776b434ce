"""The opt-in: time.time, random.random and uuid.uuid4 routed through the seams."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

import pytest
from tests._reel import Reel

import agentreel
from agentreel.determinism import _seams, is_patched


@agentreel.agent(name="stdlib-user")
def stdlib_user() -> tuple[float, float, str]:
    return time.time(), random.random(), str(uuid.uuid4())


def test_a_deterministic_session_records_and_replays_stdlib_values(
    reel: Reel, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not is_patched()
    results: list[Any] = []
    original = reel.record(lambda: results.append(stdlib_user()), deterministic=True)
    assert is_patched()
    (agent,) = reel.steps(original)
    started, roll, ticket = results[0]
    assert agent.attributes["agentreel.values"] == [
        ["now", started],
        ["random", roll],
        ["uuid4", ticket],
    ]
    monkeypatch.setattr(_seams, "_real_random", lambda: 0.5)  # a live draw would show
    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("seams", deterministic=True):
            replayed = stdlib_user()
    assert replayed == results[0]
    assert r.result.ok


def test_sessions_that_did_not_ask_are_not_routed(reel: Reel) -> None:
    original = reel.record(lambda: None, deterministic=True)  # installs the patch
    assert is_patched() and original
    plain = reel.record(lambda: stdlib_user())
    (agent,) = reel.steps(plain)
    assert "agentreel.values" not in agent.attributes
    # Outside any session the functions are the plain ones, patched or not.
    assert 0.0 <= random.random() < 1.0
    assert abs(time.time() - _seams._real_time()) < 5


def test_configure_patches_every_session(reel: Reel) -> None:
    original = reel.record(lambda: stdlib_user(), patch_nondeterminism=True)
    (agent,) = reel.steps(original)
    assert [seam for seam, _ in agent.attributes["agentreel.values"]] == [
        "now",
        "random",
        "uuid4",
    ]


def test_a_private_generator_is_out_of_reach(reel: Reel) -> None:
    # Documented limit: only the module-level functions are replaced.
    private = random.Random(7)
    original = reel.record(
        lambda: agentreel.tool(name="roll")(private.random)(), deterministic=True
    )
    steps = reel.steps(original)
    assert all("agentreel.values" not in s.attributes for s in steps)


class Stamped(Exception):
    """An exception that reads the clock when it is built."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.at = time.time()


@agentreel.tool
def stamped_failure() -> None:
    raise Stamped("disk full")


def test_replay_code_that_reads_the_clock_does_not_reenter_the_replay(reel: Reel) -> None:
    def run() -> None:
        with pytest.raises(Stamped):
            stamped_failure()

    original = reel.record(run, deterministic=True)
    # Rebuilding the recorded Stamped runs its __init__, which calls the
    # patched time.time() while the replay is answering the step.
    with agentreel.replay(original, db=reel.path) as r:
        with agentreel.session("seams", deterministic=True):
            with pytest.raises(Stamped, match="disk full") as caught:
                stamped_failure()
    assert caught.value.at > 0
    assert r.result.ok and r.result.served == 1
