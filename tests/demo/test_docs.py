"""docs/demo.md names the steps the demo really records."""

from __future__ import annotations

from pathlib import Path

from agentreel.model import Status, StepKind

from ._read import Demo

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo.md"


def test_the_doc_points_at_the_recorded_steps(demo: Demo) -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in demo.sessions:
        assert f"`{name}`" in text
    flaky = demo.sessions["fix-flaky-import"]
    first, again = (s for s in flaky.steps if s.kind is StepKind.TOOL and s.status is Status.ERROR)
    assert f"**step {first.number}**" in text
    assert f"**step {again.number}**" in text
    assert f"--step {again.number}`" in text
    (edit,) = flaky.named("edit_file")
    assert f"--step {edit.number}`: the edit" in text
    after_edit = flaky.steps[edit.number]  # numbers are 1-based: this is the next step
    assert after_edit.kind is StepKind.LLM
    assert f"--step {after_edit.number}`: the fixer's model" in text
    calls = demo.sessions["refactor-with-cost-spike"].by_kind(StepKind.LLM)
    spike = max(calls, key=lambda s: s.cost or 0.0)
    assert f"**step {spike.number}**" in text
    assert f"--step {spike.number}`" in text
    assert f"about {round(spike.usage.input, -2):,} prompt tokens" in text
    assert spike.cost is not None
    assert spike.cost > sum(c.cost or 0.0 for c in calls if c is not spike)
    assert "Nineteen steps" in text
    assert len(demo.sessions["fix-divide-by-zero"].steps) == 19
