"""``agentreel demo`` through click's runner and through the console-script entry point."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from agentreel.cli import main
from agentreel.cli._app import cli
from agentreel.cli._context import CliContext
from agentreel.model import Status, StepKind
from agentreel.storage import SQLiteStore

NAMES = ("fix-divide-by-zero", "fix-flaky-import", "refactor-with-cost-spike")


def run(db: Path | str, *args: str) -> tuple[int, str, str]:
    """Exit code, output and error output of ``agentreel demo ARGS`` on ``db``."""
    out = Console(width=160, no_color=True, file=io.StringIO())
    err = Console(width=160, no_color=True, file=io.StringIO())
    obj = CliContext(db=str(db), console=out, err_console=err, tz=dt.UTC)
    result = CliRunner().invoke(cli, ["demo", *args], obj=obj)
    assert isinstance(out.file, io.StringIO)
    assert isinstance(err.file, io.StringIO)
    return result.exit_code, out.file.getvalue(), err.file.getvalue()


def test_demo_records_and_names_the_sessions_and_what_to_run_next(tmp_path: Path) -> None:
    db = tmp_path / "reel.db"
    code, out, err = run(db)
    assert (code, err) == (0, "")
    store = SQLiteStore(db, create=False)
    try:
        summaries = {s.session.name: s for s in store.list_sessions()}
        assert set(summaries) == set(NAMES)
        flaky = summaries["fix-flaky-import"].session.id
        steps = store.get_steps(flaky)
        spike_session = summaries["refactor-with-cost-spike"].session.id
        spike = max(
            (s for s in store.get_steps(spike_session) if s.kind is StepKind.LLM),
            key=lambda s: s.cost or 0.0,
        )
    finally:
        store.close()
    assert f"Recorded 3 demo sessions into {db}" in out
    for name, summary in summaries.items():
        line = next(line for line in out.splitlines() if name in line and "steps" in line)
        assert line.split()[0] == summary.session.id[:12]
        assert f"{summary.step_count} steps" in line
        assert line.split()[-1] == str(summary.session.status)
    # The tree of the session with the recurring failure, every step of it.
    failures = [s for s in steps if s.kind is StepKind.TOOL and s.status is Status.ERROR]
    assert len(failures) == 2
    tree_rows = [line for line in out.splitlines() if re.match(r"\s*\d+\s+tool\s", line)]
    failed_rows = [row for row in tree_rows if "No module named 'calc.ops'" in row]
    assert [row.split()[0] for row in failed_rows] == [str(s.number) for s in failures]
    assert len(tree_rows) == len([s for s in steps if s.kind is StepKind.TOOL])
    # The next commands name this database, the real ids and the real step numbers.
    prefix = f"agentreel --db {db} "
    assert prefix + "ls" in out
    assert prefix + f"show {flaky[:12]} --step {failures[1].number}" in out
    assert f"same failure as step {failures[0].number}" in out
    assert prefix + f"show {spike_session[:12]} --step {spike.number}" in out
    assert prefix + "tail" in out
    assert prefix + f"export {flaky[:12]}" in out


def test_quiet_skips_the_tree_but_not_the_summary(tmp_path: Path) -> None:
    code, quiet, _ = run(tmp_path / "quiet.db", "--quiet")
    code_full, full, _ = run(tmp_path / "full.db")
    assert code == code_full == 0
    assert "chat.completions.create" in full
    assert "chat.completions.create" not in quiet
    for name in NAMES:
        assert name in quiet
    assert "agentreel" in quiet.split("Explore further:")[1]


def test_the_default_database_needs_no_db_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTREEL_DB", str(tmp_path / "env.db"))
    out = Console(width=160, no_color=True, file=io.StringIO())
    result = CliRunner().invoke(cli, ["demo", "-q"], obj=CliContext(console=out))
    assert result.exit_code == 0
    assert isinstance(out.file, io.StringIO)
    text = out.file.getvalue()
    assert "  agentreel ls " in text
    assert "--db" not in text
    assert (tmp_path / "env.db").exists()


def test_the_console_script_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "script.db"
    assert main(["--db", str(db), "demo", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^[0-9a-f]{12}\s+fix-flaky-import\s+19 steps\s+\$\S+\s+error$", out, re.M)


def test_an_unusable_database_is_one_error_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, out, err = run(blocker / "reel.db")
    assert code == 1
    assert out == ""
    assert err.startswith("agentreel: error: ")
    assert len(err.strip().splitlines()) == 1


def test_an_in_memory_store_is_recorded_and_shown_without_next_commands() -> None:
    code, out, err = run(":memory:")
    assert (code, err) == (0, "")
    assert "Recorded 3 demo sessions into :memory:" in out
    assert "No module named 'calc.ops'" in out
    assert "Explore further" not in out
    assert "recorded in memory" in out
