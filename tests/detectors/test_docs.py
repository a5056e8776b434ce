"""docs/detectors.md documents every setting and every kind, and its examples are real output."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from agentreel.detectors import KINDS, DetectorConfig, analyze

from .conftest import Demo

DOC = (Path(__file__).parents[2] / "docs" / "detectors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(DetectorConfig)])
def test_every_setting_is_documented_with_its_default(field: str) -> None:
    row = re.search(rf"^\| `{field}` \| `([^`]*)` \|", DOC, re.MULTILINE)
    assert row is not None, f"{field} is not in the settings table"
    default = DetectorConfig().__getattribute__(field)
    shown = row.group(1).replace(",", "").replace(".0", "")
    assert shown == repr(default).replace(".0", "").replace("_", "")


@pytest.mark.parametrize(("detector", "kind"), [(d, k) for d, ks in KINDS.items() for k in ks])
def test_every_kind_is_described(detector: str, kind: str) -> None:
    assert f"### `{detector}`" in DOC
    assert f"**`{kind}`**" in DOC


def test_the_demo_examples_are_what_analyze_prints(demo: Demo) -> None:
    for name in ("fix-flaky-import", "refactor-with-cost-spike"):
        (finding,) = analyze(demo.store, demo.ids[name]).findings
        line = f"{finding.detector} {finding.kind} {finding.steps} {finding.message}"
        assert f"```text\n{line}\n```" in DOC, line
