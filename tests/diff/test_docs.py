"""docs/diff.md documents every option, and its example is what the command prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from agentreel.cli._diff import diff_cmd

from ._build import write
from ._run import run_cli
from ._small import session_a, session_b

DOC = (Path(__file__).parents[2] / "docs" / "diff.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "option",
    [o for p in diff_cmd.params if isinstance(p, click.Option) for o in p.opts if o != "--help"],
)
def test_every_option_is_documented(option: str) -> None:
    assert f"| `{option}" in DOC


def test_the_example_is_real_output(tmp_path: Path) -> None:
    match = re.search(r"\$ agentreel diff (\S+) (\S+)\n(.*?)\$ echo \$\?\n(\d)\n", DOC, re.DOTALL)
    assert match is not None
    a, b, shown, code = match.groups()
    run = run_cli(write(tmp_path / "reel.db", session_a(), session_b()), "diff", a, b)
    assert run.text == shown
    assert run.exit_code == int(code)


def test_the_json_keys_are_documented(tmp_path: Path) -> None:
    run = run_cli(
        write(tmp_path / "reel.db", session_a(), session_b()), "diff", "a1", "b1", "--json"
    )
    doc = json.loads(run.out)
    for key in [*doc, *doc["pairs"][1], *doc["pairs"][1]["changes"][0], *doc["first_divergence"]]:
        assert f'"{key}"' in DOC, key
