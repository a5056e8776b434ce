"""Every guard is a valid hook plugin, and they work side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

import agentreel
from agentreel import guards, hooks
from agentreel.errors import StepVetoed

ALL = [
    guards.Budget(max_cost_per_session=1.0, max_tokens_per_day=10_000),
    guards.ToolPolicy(deny=["rm"]),
    guards.LoopGuard(),
    guards.RateLimit(calls=100, per=1),
    guards.Approval("tool:deploy"),
    guards.DetectorGuard(),
]


@pytest.mark.parametrize("guard", ALL, ids=lambda g: type(g).__name__)
def test_each_guard_registers_under_its_class_name(guard: object) -> None:
    plugin = hooks.register(guard)
    assert plugin.name == type(guard).__name__
    assert {i.spec.name for i in plugin.impls} <= set(hooks.SPECS)
    assert repr(guard).startswith(type(guard).__name__ + "(")


def test_guards_given_to_configure_work_together(tmp_path: Path) -> None:
    @agentreel.tool
    def rm(path: str) -> None:
        raise AssertionError("never runs")

    @agentreel.tool
    def ls(path: str) -> list[str]:
        return []

    agentreel.configure(db=tmp_path / "r.db", hooks=ALL[:4])
    with agentreel.session("together"):
        assert ls(".") == []
        with pytest.raises(StepVetoed, match="tool 'rm' is denied"):
            rm("/")
    assert [p.name for p in hooks.get_manager().plugins] == [
        "Budget", "ToolPolicy", "LoopGuard", "RateLimit",
    ]  # fmt: skip
