"""docs/debug.md documents every command, abbreviation, option, print section and field."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from agentreel.cli._debug import ALIASES, COMMANDS, SECTIONS, debug
from agentreel.debugger import FIELDS

DOC = (Path(__file__).parents[2] / "docs" / "debug.md").read_text(encoding="utf-8")
#: The rows of tables that start with code: "| `next [COUNT]` | `n` | ... |".
ROWS = [line.split("|")[1:3] for line in DOC.splitlines() if line.startswith("| `")]


def _row(name: str) -> list[str]:
    """The commands-table row whose first cell names ``name`` (``name`` or ``name ARGS``)."""
    found = [r for r in ROWS if f"`{name}`" in r[0] or f"`{name} " in r[0]]
    assert found, f"no row for {name}"
    return found[0]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_a_row(name: str) -> None:
    assert len(_row(name)) == 2


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_every_abbreviation_is_documented_with_its_command(alias: str) -> None:
    assert f"`{alias}`" in _row(ALIASES[alias])[1]


@pytest.mark.parametrize(
    "option", [opt for p in debug.params if isinstance(p, click.Option) for opt in p.opts]
)
def test_every_option_is_documented(option: str) -> None:
    assert f"`{option}" in DOC


@pytest.mark.parametrize("section", SECTIONS)
def test_every_print_section_is_documented(section: str) -> None:
    assert f"`{section}`" in DOC


@pytest.mark.parametrize("field", list(FIELDS))
def test_every_condition_field_is_documented(field: str) -> None:
    assert f"| `{field}" in DOC or f", `{field}`" in DOC
