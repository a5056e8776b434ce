"""docs/recording.md names every counter agentreel.stats() reports."""

from __future__ import annotations

import re
from pathlib import Path

from agentreel.recording._stats import REASONS

DOC = Path(__file__).parents[2] / "docs" / "recording.md"


def test_every_counter_is_in_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| counter | what it counts |") :].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", table))
    assert set(REASONS) - documented == set()
