"""A veto a hook or guard recorded on the step it stopped shows in the postmortem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agentreel
from agentreel import hooks
from agentreel.errors import StepVetoed
from agentreel.hooks import Call, Veto
from agentreel.reports import build_postmortem, postmortem_markdown
from agentreel.storage import SQLiteStore


@agentreel.tool
def delete(path: str) -> str:
    return path


class NoDeletes:
    name = "no-deletes"

    def before_tool_call(self, call: Call) -> Any:
        return Veto("deleting is not allowed here") if call.name == "delete" else None


def test_a_hook_veto_on_a_tool_step_is_listed(tmp_path: Path) -> None:
    db = tmp_path / "reel.db"
    hooks.reset()
    agentreel.configure(db=db, hooks=[NoDeletes()])
    try:
        with agentreel.session("cleanup"):
            with pytest.raises(StepVetoed):
                delete("/data")
    finally:
        agentreel.shutdown()
        hooks.reset()
    store = SQLiteStore(db, create=False)
    try:
        report = build_postmortem(store)
    finally:
        store.close()
    (veto,) = report.vetoes
    assert (veto.session_name, veto.step, veto.kind, veto.name) == ("cleanup", 1, "tool", "delete")
    assert veto.reason == "deleting is not allowed here"
    assert "deleting is not allowed here" in postmortem_markdown(report)
