"""Registering a plugin: find its hooks, check each against its spec, or say what is wrong."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from agentreel.errors import HookError

from ._spec import DECIDE, SPECS, WRAP, HookSpec

__all__ = ["DEFAULT_TIMEOUT", "Impl", "Plugin", "hookimpl", "make_plugin"]

#: Seconds a hook may take before it is abandoned (and its policy applied).
DEFAULT_TIMEOUT = 5.0
_PREFIXES = ("on_", "before_", "around_")
_OPTIONS = "__agentreel_hook__"
_POLICIES = ("allow", "veto")


@dataclass(frozen=True, slots=True)
class _Options:
    timeout: float | None
    on_error: str | None


F = TypeVar("F", bound=Callable[..., Any])


@overload
def hookimpl(fn: F, /) -> F: ...


@overload
def hookimpl(*, timeout: float | None = None, on_error: str | None = None) -> Callable[[F], F]: ...


def hookimpl(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    timeout: float | None = None,
    on_error: str | None = None,
) -> Any:
    """Set a hook method's time limit and, for a decider, its failure policy.

    ``on_error="veto"`` makes a decider fail closed: if it raises or runs out
    of time, the step is vetoed. The default, ``"allow"``, fails open. Use as
    ``@hookimpl`` or ``@hookimpl(timeout=1.0, on_error="veto")``.
    """
    if timeout is not None and not timeout > 0:
        raise HookError(
            f"hookimpl(timeout=...) must be a positive number of seconds, not {timeout}"
        )
    if on_error is not None and on_error not in _POLICIES:
        raise HookError(f"hookimpl(on_error=...) must be 'allow' or 'veto', not {on_error!r}")

    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        setattr(f, _OPTIONS, _Options(timeout, on_error))
        return f

    return mark(fn) if fn is not None else mark


@dataclass(frozen=True, slots=True)
class Impl:
    """One hook method of one plugin, checked and ready to call."""

    plugin: str
    spec: HookSpec
    fn: Callable[..., Any]
    timeout: float
    #: For deciders: what an error or timeout means ("allow" or "veto").
    on_error: str
    is_async: bool

    @property
    def label(self) -> str:
        return f"{self.plugin}.{self.spec.name}"


@dataclass(frozen=True, slots=True)
class Plugin:
    name: str
    obj: object
    priority: int
    impls: tuple[Impl, ...]


def _takes_one_argument(fn: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True  # a builtin or C callable we cannot inspect: trust it
    required = 0
    positional = 0
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
            required += p.default is p.empty
        elif p.kind is p.VAR_POSITIONAL:
            positional += 1
        elif p.kind is p.KEYWORD_ONLY and p.default is p.empty:
            return False
    return positional >= 1 and required <= 1


def _check(plugin: str, spec: HookSpec, fn: object) -> Impl:
    where = f"hook plugin {plugin!r}: {spec.name}"
    if not callable(fn):
        raise HookError(f"{where} is not callable ({type(fn).__name__})")
    if not _takes_one_argument(fn):
        raise HookError(
            f"{where} must take exactly one argument (a {spec.takes}); its signature is "
            f"{inspect.signature(fn)}"
        )
    is_gen = inspect.isgeneratorfunction(fn)
    is_async = inspect.iscoroutinefunction(fn)
    if spec.semantics == WRAP and not is_gen:
        raise HookError(
            f"{where} is a wrap hook: it must be a generator function that yields once "
            "(code before the yield runs before the call; the yield returns the Outcome)"
        )
    if spec.semantics != WRAP and (is_gen or inspect.isasyncgenfunction(fn)):
        raise HookError(f"{where} is a {spec.semantics} hook and must not be a generator")
    options: _Options = getattr(fn, _OPTIONS, _Options(None, None))
    if options.on_error is not None and spec.semantics != DECIDE:
        raise HookError(f"{where}: on_error= applies to decide hooks only")
    return Impl(
        plugin=plugin,
        spec=spec,
        fn=fn,
        timeout=options.timeout or DEFAULT_TIMEOUT,
        on_error=options.on_error or "allow",
        is_async=is_async,
    )


def make_plugin(obj: object, *, name: str | None = None, priority: int = 0) -> Plugin:
    """Check ``obj``'s hook methods against the specs; raise ``HookError`` on a mismatch."""
    label = name or getattr(obj, "name", None) or getattr(obj, "__name__", None)
    label = str(label or type(obj).__name__)
    if not isinstance(priority, int):
        raise HookError(f"hook plugin {label!r}: priority must be an int, not {priority!r}")
    impls: list[Impl] = []
    for attr in dir(obj):
        if not attr.startswith(_PREFIXES):
            continue
        spec = SPECS.get(attr)
        if spec is None:
            close = difflib.get_close_matches(attr, SPECS, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise HookError(
                f"hook plugin {label!r} has a method {attr} that is not a hook{hint} "
                f"(the hooks are: {', '.join(SPECS)})"
            )
        impls.append(_check(label, spec, getattr(obj, attr)))
    if not impls:
        raise HookError(
            f"hook plugin {label!r} implements no hook; give it one of: {', '.join(SPECS)}"
        )
    return Plugin(name=label, obj=obj, priority=priority, impls=tuple(impls))
