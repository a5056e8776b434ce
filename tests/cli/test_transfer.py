"""``agentreel export`` and ``agentreel import``: reel files out and back in."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentreel.cli._app import cli
from agentreel.cli._context import CliContext

from ._reel import FIX_ID, NOTES_ID
from ._run import Invoke, invoke_cli, make_console, tidy

GZIP_MAGIC = b"\x1f\x8b"


def _summary(text: str) -> tuple[int, int, int]:
    match = re.fullmatch(
        r"Exported (\d+) sessions? \((\d+) steps?, (\d+) blobs?, [\d.]+ (?:B|KB|MB)\) to .+\n", text
    )
    assert match, text
    sessions, steps, blobs = (int(g) for g in match.groups())
    return sessions, steps, blobs


def test_export_then_import_reproduces_the_sessions(invoke: Invoke, tmp_path: Path) -> None:
    reel_file = tmp_path / "shared.reel"
    run = invoke("export", "4bf92", "0af", "-o", str(reel_file))
    assert run.exit_code == 0, run.err
    assert _summary(run.out) == (2, 8, 6)
    assert run.out.endswith(f" to {reel_file}\n")
    assert not reel_file.read_bytes().startswith(GZIP_MAGIC)

    target = tmp_path / "new" / "copy.db"  # neither the file nor its directory exists
    imported = invoke_cli(target, ["import", str(reel_file)])
    assert imported.exit_code == 0, imported.err
    assert imported.text == (
        f"Imported 2 sessions (8 steps, 6 blobs) from {reel_file} into {target}: "
        f"{FIX_ID[:12]}, {NOTES_ID[:12]}\n"
    )
    for args in (["show", "4bf92"], ["show", "4bf92", "--step", "3"], ["show", "0af", "--json"]):
        assert invoke_cli(target, args).out == invoke(*args).out


def test_importing_again_reports_the_replaced_sessions(invoke: Invoke, tmp_path: Path) -> None:
    reel_file = tmp_path / "one.reel"
    assert invoke("export", FIX_ID, "-o", str(reel_file)).exit_code == 0
    again = invoke("import", str(reel_file))
    assert again.exit_code == 0
    assert again.text.splitlines()[-1] == f"Replaced 1 session already there: {FIX_ID[:12]}"


@pytest.mark.parametrize(("name", "flag"), [("out.reel.gz", []), ("out.reel", ["--gzip"])])
def test_export_compresses_by_name_or_flag(
    invoke: Invoke, tmp_path: Path, name: str, flag: list[str]
) -> None:
    reel_file = tmp_path / name
    assert invoke("export", "0af", "-o", str(reel_file), *flag).exit_code == 0
    data = reel_file.read_bytes()
    assert data.startswith(GZIP_MAGIC)
    assert b'"type":"session"' in gzip.decompress(data)
    target = tmp_path / "copy.db"
    assert invoke_cli(target, ["import", str(reel_file)]).exit_code == 0
    assert invoke_cli(target, ["show", "0af"]).out == invoke("show", "0af").out


def test_export_names_each_session_once(invoke: Invoke, tmp_path: Path) -> None:
    run = invoke("export", "4bf92", FIX_ID, "4BF92F35", "-o", str(tmp_path / "x.reel"))
    assert _summary(run.out) == (1, 6, 6)


def test_export_of_an_unknown_session_writes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    reel_file = tmp_path / "x.reel"
    run = invoke("export", "4bf92", "ffff", "-o", str(reel_file))
    assert run.exit_code == 1
    assert run.err == (
        "agentreel: error: no session matches 'ffff'; `agentreel ls` lists the recorded sessions\n"
    )
    assert not reel_file.exists()


def test_export_into_a_missing_directory_names_the_file(invoke: Invoke, tmp_path: Path) -> None:
    reel_file = tmp_path / "no" / "such" / "x.reel"
    run = invoke("export", "4bf92", "-o", str(reel_file))
    assert run.exit_code == 1
    assert run.err.startswith(f"agentreel: error: {reel_file}: ")
    assert "No such file or directory" in run.err
    assert run.err.count("\n") == 1


def test_export_requires_ids_and_an_output(invoke: Invoke) -> None:
    assert invoke("export", "-o", "x.reel").exit_code == 2
    run = invoke("export", "4bf92")
    assert run.exit_code == 2
    assert "Missing option '-o' / '--output'" in run.stderr


def test_import_of_a_missing_file_is_a_one_line_error(invoke: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "missing.reel"
    run = invoke("import", str(missing))
    assert run.exit_code == 1
    assert run.err.startswith(f"agentreel: error: {missing}: cannot be read")
    assert run.err.count("\n") == 1


def test_import_of_a_damaged_file_changes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    reel_file = tmp_path / "x.reel"
    assert invoke("export", "0af", "-o", str(reel_file)).exit_code == 0
    damaged = tmp_path / "damaged.reel"
    damaged.write_bytes(reel_file.read_bytes()[:-40])
    target = tmp_path / "copy.db"
    run = invoke_cli(target, ["import", str(damaged)])
    assert run.exit_code == 1
    assert run.err.startswith(f"agentreel: error: {damaged}: ")
    assert run.err.count("\n") == 1
    assert invoke_cli(target, ["ls"]).text.startswith("No sessions recorded")


def test_export_to_stdout_and_import_from_stdin(reel: Path, tmp_path: Path) -> None:
    err_console = make_console()
    exported = CliRunner().invoke(
        cli, ["export", "0af", "-o", "-"], obj=CliContext(db=str(reel), err_console=err_console)
    )
    assert exported.exit_code == 0
    assert exported.stdout_bytes.startswith(b'{"type":"header"')
    # The summary goes to stderr so that it cannot corrupt the reel on stdout.
    assert _summary(err_console.export_text()) == (1, 2, 0)
    target = tmp_path / "copy.db"
    console = make_console()
    imported = CliRunner().invoke(
        cli,
        ["import", "-"],
        input=exported.stdout_bytes,
        obj=CliContext(db=str(target), console=console),
    )
    assert imported.exit_code == 0
    assert tidy(console.export_text()) == (
        f"Imported 1 session (2 steps, 0 blobs) from standard input into {target}: "
        f"{NOTES_ID[:12]}\n"
    )
