"""Registration checks a plugin against the specs and names what does not fit."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from agentreel import hooks
from agentreel.errors import HookError
from agentreel.hooks import SPECS, Call, hookimpl


def test_a_misspelt_hook_is_named_with_a_suggestion() -> None:
    class Typo:
        def on_step_stat(self, event: Any) -> None: ...

    with pytest.raises(
        HookError, match=r"'Typo' has a method on_step_stat .*did you mean on_step_start"
    ):
        hooks.register(Typo())


def test_a_wrong_signature_names_the_plugin_and_the_hook() -> None:
    class TwoArgs:
        def before_tool_call(self, call: Call, extra: int) -> None: ...

    with pytest.raises(
        HookError, match=r"'audit': before_tool_call must take exactly one argument"
    ):
        hooks.register(TwoArgs(), name="audit")


def test_a_wrap_hook_must_be_a_generator() -> None:
    class NotGen:
        def around_tool_call(self, call: Call) -> None: ...

    with pytest.raises(HookError, match="must be a generator function"):
        hooks.register(NotGen())


def test_an_observer_may_not_be_a_generator() -> None:
    class Gen:
        def on_step_end(self, event: Any) -> Generator[None, None, None]:
            yield

    with pytest.raises(HookError, match="observe hook and must not be a generator"):
        hooks.register(Gen())


def test_a_plugin_without_hooks_is_refused() -> None:
    with pytest.raises(HookError, match="implements no hook"):
        hooks.register(object(), name="empty")


def test_names_are_unique_and_unregister_needs_a_known_name() -> None:
    class Obs:
        def on_step_end(self, event: Any) -> None: ...

    hooks.register(Obs())
    with pytest.raises(HookError, match="already registered"):
        hooks.register(Obs())
    hooks.register(Obs(), name="second")
    hooks.unregister("second")
    with pytest.raises(HookError, match="no hook plugin named 'second'"):
        hooks.unregister("second")


def test_on_error_is_for_deciders_and_checked() -> None:
    with pytest.raises(HookError, match="'allow' or 'veto'"):
        hookimpl(on_error="maybe")
    with pytest.raises(HookError, match="positive"):
        hookimpl(timeout=0)

    class Obs:
        @hookimpl(on_error="veto")
        def on_step_end(self, event: Any) -> None: ...

    with pytest.raises(HookError, match="on_error= applies to decide hooks only"):
        hooks.register(Obs())


def test_every_spec_is_documented() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "hooks.md").read_text()
    for name in SPECS:
        assert f"`{name}`" in docs, f"docs/hooks.md does not document {name}"


def test_every_spec_has_a_contract() -> None:
    for spec in SPECS.values():
        assert spec.doc and spec.semantics in ("observe", "decide", "wrap")
        assert spec.takes in ("SessionEvent", "StepEvent", "Call")
        assert bool(spec.kinds) == (spec.semantics != "observe")
