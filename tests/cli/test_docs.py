"""docs/cli.md documents every command and every option the CLI has."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from agentreel.cli._app import cli

DOC = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")


def _options(command: click.Command) -> list[str]:
    return [
        opt
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt not in ("-h", "--help")
    ]


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_a_section(name: str) -> None:
    assert f"\n## `agentreel {name}`\n" in DOC


# demo's options are documented with the demo, in docs/demo.md.
OURS = {name: command for name, command in cli.commands.items() if name != "demo"}


@pytest.mark.parametrize(
    ("name", "option"),
    [(name, opt) for name, command in sorted(OURS.items()) for opt in _options(command)]
    + [("(global)", opt) for opt in _options(cli)],
)
def test_every_option_is_documented(name: str, option: str) -> None:
    assert f"`{option}" in DOC, f"{name}: {option} is not in docs/cli.md"
