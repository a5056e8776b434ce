"""The group: --db, --version, and the error policy (one line, exit 1; usage, exit 2)
through the console-script entry point and through click's CliRunner."""

from __future__ import annotations

import errno
import importlib.metadata
import json
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from agentreel.cli import main
from agentreel.cli._app import AgentreelGroup, cli
from agentreel.cli._context import CliContext
from agentreel.errors import UnknownSession

from ._run import invoke_cli, make_console


def test_main_turns_a_missing_database_into_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert main(["--db", str(missing), "ls"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"agentreel: error: cannot open the reel database {missing}: there is no reel "
        "database there; record a session or run `agentreel demo` to create one\n"
    )


def test_main_reports_an_unknown_session_in_one_line(
    reel: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(reel), "show", "ffff"]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"agentreel: error: {UnknownSession('ffff')}\n"
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show"], "Error: Missing argument 'ID'."),
        (["no-such-command"], "Error: No such command 'no-such-command'."),
        (["ls", "--bogus"], "Error: No such option '--bogus'."),
        (["ls", "--status", "weird"], "Error: Invalid value for '--status'"),
    ],
)
def test_main_keeps_usage_errors_at_exit_2(
    reel: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    assert main(["--db", str(reel), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: agentreel")
    assert expected in err
    assert "Traceback" not in err


def test_main_version_and_help_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    version = importlib.metadata.version("agentreel")
    assert capsys.readouterr().out == f"agentreel, version {version}\n"
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "export", "import", "ls", "show", "tail"):
        assert f"\n  {command} " in out


def test_main_succeeds_with_exit_0(reel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(reel), "ls", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["sessions"]) == 3


def test_the_database_comes_from_the_environment(
    reel: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENTREEL_DB", str(reel))
    assert main(["ls", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["sessions"]) == 3


def test_an_explicit_db_option_wins_over_the_injected_context(reel: Path, tmp_path: Path) -> None:
    run = invoke_cli(tmp_path / "elsewhere.db", ["--db", str(reel), "ls", "--json"])
    assert run.exit_code == 0
    assert len(json.loads(run.out)["sessions"]) == 3


def test_the_environment_does_not_redirect_an_injected_context(
    reel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTREEL_DB", str(tmp_path / "elsewhere.db"))
    run = invoke_cli(reel, ["ls", "--json"])
    assert run.exit_code == 0
    assert len(json.loads(run.out)["sessions"]) == 3


def test_a_file_that_is_not_a_database_is_a_one_line_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    run = invoke_cli(bogus, ["ls"])
    assert run.exit_code == 1
    assert run.err.startswith(f"agentreel: error: cannot open the reel database {bogus}")
    assert run.err.count("\n") == 1


# The policy itself, on a group of commands that fail in each way it covers.
failing = AgentreelGroup("failing")


@failing.command("sqlite")
def _sqlite() -> None:
    raise sqlite3.OperationalError("database is locked")


@failing.command("unreadable")
def _unreadable() -> None:
    raise PermissionError(errno.EACCES, "Permission denied", "/srv/reel.db")


@failing.command("interrupted")
def _interrupted() -> None:
    raise KeyboardInterrupt


@failing.command("bug")
def _bug() -> None:
    raise RuntimeError("a bug is not an expected failure")


@pytest.mark.parametrize(
    ("command", "line"),
    [
        ("sqlite", "agentreel: error: SQLite error on /srv/reel.db: database is locked"),
        ("unreadable", "agentreel: error: /srv/reel.db: Permission denied"),
    ],
)
def test_expected_failures_are_one_line_in_both_modes(
    command: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    obj = CliContext(db="/srv/reel.db", err_console=make_console())
    assert failing.main([command], prog_name="agentreel", standalone_mode=False, obj=obj) == 1
    assert obj.err_console.export_text() == line + "\n"
    err_console = make_console()
    result = CliRunner().invoke(
        failing, [command], obj=CliContext(db="/srv/reel.db", err_console=err_console)
    )
    assert result.exit_code == 1
    assert result.stderr == ""
    assert err_console.export_text() == line + "\n"
    assert capsys.readouterr().err == ""


def test_without_a_context_object_the_line_goes_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert failing.main(["unreadable"], standalone_mode=False) == 1
    assert capsys.readouterr().err == "agentreel: error: /srv/reel.db: Permission denied\n"


def test_ctrl_c_outside_tail_aborts_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert failing.main(["interrupted"], standalone_mode=False) == 1
    assert capsys.readouterr().err.endswith("Aborted!\n")
    assert CliRunner().invoke(failing, ["interrupted"]).exit_code == 1


def test_bugs_are_not_swallowed() -> None:
    with pytest.raises(RuntimeError, match="a bug"):
        failing.main(["bug"], standalone_mode=False)


def test_the_group_registers_every_command() -> None:
    assert sorted(cli.commands) == [
        "attach",
        "debug",
        "demo",
        "diff",
        "export",
        "import",
        "keys",
        "ls",
        "plan",
        "postmortem",
        "rca",
        "record",
        "replay",
        "serve",
        "show",
        "tail",
        "ui",
    ]
    assert isinstance(cli, click.Group)
