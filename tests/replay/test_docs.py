"""docs/replay.md documents every mode, every JSON key and every error it names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import agentreel
import agentreel.errors
from agentreel.replay import ReplayMode
from agentreel.replay import _errors as replay_errors

from . import _agents
from .conftest import Reel

DOC = (Path(__file__).parents[2] / "docs" / "replay.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("mode", [m.value for m in ReplayMode])
def test_every_mode_is_documented(mode: str) -> None:
    assert f"| `{mode}` |" in DOC


def test_every_json_key_is_documented(reel: Reel) -> None:
    original = reel.record("fix", lambda: _agents.fixer())
    _agents.reset()
    with agentreel.replay(original, db=reel.path, mode="new-steps", fork_at=5) as r:
        _agents.fixer(path="notes.md")
    doc = json.loads(json.dumps(r.result.to_dict()))
    divergence = doc["divergences"][0]
    assert divergence["changes"] and divergence["candidates"]
    keys = [
        *doc,
        *doc["forked_from"],
        *divergence,
        *divergence["changes"][0],
        *divergence["candidates"][0],
    ]
    for key in keys:
        assert f'"{key}"' in DOC, key


def test_every_error_in_the_table_exists() -> None:
    table = DOC[DOC.index("## Bad input") : DOC.index("## Nondeterminism")]
    rows = [line.split("|")[-2] for line in table.splitlines() if line.startswith("| ")]
    names = {n for row in rows for n in re.findall(r"`(?:agentreel\.replay\.)?(\w+)`", row)}
    assert names >= {"UnknownSession", "IncompleteRecording", "ConfigurationError"}
    for name in names:
        found = getattr(agentreel.errors, name, None) or getattr(replay_errors, name, None)
        assert isinstance(found, type) and issubclass(found, agentreel.AgentreelError), name
