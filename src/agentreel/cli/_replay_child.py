"""Running the user's program as a child with the bootstrap on its PYTHONPATH.

Shared by ``agentreel record`` and ``agentreel replay``: the parent passes what
the child is to do in ``AGENTREEL_*`` variables (``agentreel.bootstrap``) and
reads the child's report from a JSON file in a private temporary directory.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentreel.bootstrap import ChildPlan
from agentreel.errors import AgentreelError

__all__ = ["NO_REPORT", "ChildOutcome", "run_child", "session_name"]

#: The file descriptor the child's stdout goes to with --json: our stderr, so
#: that our stdout holds the JSON document alone.
_STDERR_FD = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildOutcome:
    """How the child ended, and what its bootstrap reported (None: it reported nothing)."""

    exit_code: int
    report: dict[str, Any] | None


def session_name(command: Sequence[str]) -> str:
    """A name for the session from the command: the script, or ``-m`` module, or program."""
    args = list(command)
    for i, arg in enumerate(args[1:], start=1):
        if arg == "-m" and i + 1 < len(args):
            return args[i + 1]
        if arg == "-c":
            return f"{Path(args[0]).name} -c"
        if not arg.startswith("-"):
            return Path(arg).name
    return Path(args[0]).name


def run_child(
    command: Sequence[str],
    plan: ChildPlan,
    *,
    stdout_to_stderr: bool,
    edit: dict[str, Any] | None = None,
) -> ChildOutcome:
    """Run ``command`` to the end under ``plan`` (its result file is filled in here)."""
    sys.stdout.flush()
    with tempfile.TemporaryDirectory(prefix="agentreel-") as tmp:
        result_file = os.path.join(tmp, "result.json")
        edit_file = None
        if edit is not None:
            edit_file = os.path.join(tmp, "edit.json")
            Path(edit_file).write_text(json.dumps(edit), encoding="utf-8")
        plan = dataclasses.replace(plan, result_file=result_file, edit_file=edit_file)
        try:
            proc = subprocess.run(
                list(command),
                env=plan.environ(os.environ),
                stdout=_STDERR_FD if stdout_to_stderr else None,
                check=False,
            )
        except FileNotFoundError:
            raise AgentreelError(
                f"cannot run {command[0]!r}: no such program; give the command after `--`, "
                "e.g. -- python agent.py"
            ) from None
        except PermissionError:
            raise AgentreelError(f"cannot run {command[0]!r}: permission denied") from None
        report: dict[str, Any] | None = None
        try:
            loaded = json.loads(Path(result_file).read_text(encoding="utf-8"))
            report = loaded if isinstance(loaded, dict) else None
        except (OSError, ValueError):
            report = None
    # A child killed by a signal has a negative return code; report it the
    # way shells do.
    code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    return ChildOutcome(exit_code=code, report=report)


NO_REPORT = (
    "the program ended without agentreel's report: it is not a Python program, its Python "
    "cannot import agentreel, or it ended with os._exit(); run it with the Python of the "
    "environment agentreel is installed in"
)
