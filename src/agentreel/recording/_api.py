"""The recording API: sessions, steps, events and the step decorators."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar, overload

from agentreel.errors import AgentreelError
from agentreel.model import StepKind

from ._intercept import Answer
from ._live import NOOP_SESSION, NOOP_STEP, NoopSession, NoopStep, SessionHandle, StepHandle
from ._recorder import STATE
from ._stats import logger
from ._usage import apply_response_usage

P = ParamSpec("P")
R = TypeVar("R")

_KINDS = frozenset(k.value for k in StepKind)
_warned_kinds: set[str] = set()


def session(
    name: str,
    *,
    tags: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
    project: str | None = None,
    deterministic: bool = False,
) -> SessionHandle | NoopSession:
    """A session: ``with agentreel.session("triage") as s:`` (or ``async with``).

    ``deterministic=True`` routes ``time.time``, ``random.random`` and
    ``uuid.uuid4`` through the replayable seams while the session is current
    (see ``agentreel.determinism``).
    """
    rec = STATE.recorder
    if rec is None:
        return NOOP_SESSION
    if deterministic and STATE.install_seams is not None:
        STATE.install_seams()
    return SessionHandle(
        rec,
        str(name),
        tags=tuple(str(t) for t in tags),
        metadata={str(k): v for k, v in (metadata or {}).items()},
        project=project or rec.project,
        deterministic=deterministic,
    )


def _kind(kind: str | StepKind) -> str:
    """A kind that is not one of ``_KINDS`` as given (callers test that first)."""
    text = str(kind.value if isinstance(kind, StepKind) else kind)
    if text in _KINDS:
        return text
    if text not in _warned_kinds:
        _warned_kinds.add(text)
        logger.warning(
            "agentreel: unknown step kind %r recorded as 'custom'; use one of %s",
            text,
            ", ".join(sorted(_KINDS)),
        )
    return StepKind.CUSTOM.value


def step(
    kind: str | StepKind,
    name: str,
    *,
    input: Any = None,
    attributes: Mapping[str, Any] | None = None,
    model: str | None = None,
) -> StepHandle | NoopStep:
    """A step of any kind: ``with agentreel.step("retrieval", "search") as st:``."""
    rec = STATE.recorder
    if rec is None:
        return NOOP_STEP
    if type(kind) is not str or kind not in _KINDS:  # the common case stays here
        kind = _kind(kind)
    return StepHandle(rec, kind, name, input, attributes, model)


def event(name: str, **attributes: Any) -> None:
    """Record a zero-duration ``event`` step with ``attributes``."""
    rec = STATE.recorder
    if rec is None:
        return
    handle = StepHandle(rec, "event", name, None, attributes)
    handle.start()
    handle.finish(at=handle.started_at)


def _input_builder(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    """A fast ``(args, kwargs) -> {param: value}`` for ``fn``'s signature."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return lambda args, kwargs: {"args": list(args), **kwargs}
    params = list(sig.parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    simple = all(p.kind is not p.VAR_POSITIONAL for p in params)
    # A method's receiver is not an input worth recording (and is often huge).
    skip = 1 if positional and positional[0] in ("self", "cls") else 0
    names = tuple(positional[skip:])
    most = len(positional) if simple else -1  # -1: always bind (a *args parameter)

    def build(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if len(args) <= most:
            values = dict(zip(names, args[skip:] if skip else args, strict=False))
            if kwargs:
                values.update(kwargs)
            return values
        try:
            bound = sig.bind_partial(*args, **kwargs)
        except TypeError:
            return {"args": list(args[skip:]), **kwargs}
        values = dict(bound.arguments)
        if skip:
            values.pop(positional[0], None)
        return values

    return build


def _wrap(fn: Callable[P, R], kind: str, name: str) -> Callable[P, R]:
    build = _input_builder(fn)
    is_llm = kind == "llm"

    if inspect.iscoroutinefunction(fn):
        afn: Callable[P, Awaitable[Any]] = fn

        @functools.wraps(fn)
        async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            rec = STATE.recorder
            if rec is None:
                return await afn(*args, **kwargs)
            handle = _start(rec, kind, name, build, args, kwargs)
            if handle is None:
                return await afn(*args, **kwargs)
            if handle.answer is not None:
                if handle.answer.arguments is None:
                    return _serve(handle, handle.answer, is_llm)
                edits = handle.answer.arguments
                args, kwargs = _rebind(fn, handle, build, args, kwargs, edits)
            try:
                result = await afn(*args, **kwargs)
            except BaseException as exc:
                _finish(handle, None, exc, is_llm)
                raise
            _finish(handle, result, None, is_llm)
            return result

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        rec = STATE.recorder
        if rec is None:
            return fn(*args, **kwargs)
        handle = _start(rec, kind, name, build, args, kwargs)
        if handle is None:
            return fn(*args, **kwargs)
        if handle.answer is not None:
            if handle.answer.arguments is None:
                return _serve(handle, handle.answer, is_llm)  # type: ignore[no-any-return]
            edits = handle.answer.arguments
            args, kwargs = _rebind(fn, handle, build, args, kwargs, edits)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            _finish(handle, None, exc, is_llm)
            raise
        _finish(handle, result, None, is_llm)
        return result

    return wrapper


def _start(
    rec: Any,
    kind: str,
    name: str,
    build: Callable[[tuple[Any, ...], dict[str, Any]], Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> StepHandle | None:
    try:
        handle = StepHandle(rec, kind, name, build(args, kwargs) if rec.capture_io else None)
        return handle.start()
    except AgentreelError:  # an interceptor stopping the run (replay divergence): the caller's
        raise
    except Exception as exc:  # the recorder's own failure: count it, run the function anyway
        rec.stats.loss("hook_errors", detail=f"starting a step failed: {exc!r}")
        return None


def _serve(handle: StepHandle, answer: Answer, is_llm: bool) -> Any:
    """End ``handle`` with an interceptor's answer and give it to the caller."""
    exc = answer.exception
    _finish(handle, answer.output, exc, is_llm)
    if exc is not None:
        raise exc
    return answer.output


def _rebind(
    fn: Callable[..., Any],
    handle: StepHandle,
    build: Callable[[tuple[Any, ...], dict[str, Any]], Any],
    args: Any,
    kwargs: Any,
    edits: Mapping[str, Any],
) -> tuple[Any, Any]:
    """The caller's arguments with an answer's ``arguments`` put in by name.

    A replay fork that edits a step's input runs the step's code with the
    edited arguments (``Answer.arguments``). Names that are not parameters go
    to ``**kwargs``, or make the call fail as a wrong keyword would.
    """
    sig = inspect.signature(fn)
    bound = sig.bind(*args, **kwargs)
    extra: dict[str, Any] = {}
    for name, value in edits.items():
        param = sig.parameters.get(name)
        if param is None or param.kind is param.VAR_KEYWORD:
            extra[name] = value
        else:
            bound.arguments[name] = value
    new_args, new_kwargs = bound.args, {**bound.kwargs, **extra}
    handle.set_input(build(new_args, new_kwargs))
    return new_args, new_kwargs


def _finish(handle: StepHandle, result: Any, exc: BaseException | None, is_llm: bool) -> None:
    try:
        if exc is None:
            handle.set_output(result)
            if is_llm:
                apply_response_usage(handle, result)
        handle.__exit__(None if exc is None else type(exc), exc, None)
    except Exception as err:
        handle._rec.stats.loss("hook_errors", detail=f"finishing a step failed: {err!r}")


class _StepDecorator:
    """``@agentreel.<kind>`` or ``@agentreel.<kind>(name="...")``."""

    def __init__(self, kind: StepKind) -> None:
        self.kind = kind.value
        self.__doc__ = (
            f"Record each call of the decorated function as a ``{self.kind}`` step.\n\n"
            "Arguments become the step's input, the return value its output; an\n"
            "exception is recorded and re-raised unchanged. Works on sync and async\n"
            f"functions. ``@agentreel.{self.kind}(name=...)`` names the step."
        )

    @overload
    def __call__(self, fn: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def __call__(
        self, fn: None = None, /, *, name: str | None = None
    ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...

    def __call__(
        self, fn: Callable[P, R] | None = None, /, *, name: str | None = None
    ) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
        if fn is not None:
            return _wrap(fn, self.kind, name or str(getattr(fn, "__name__", "step")))

        def decorate(f: Callable[P, R]) -> Callable[P, R]:
            return _wrap(f, self.kind, name or str(getattr(f, "__name__", "step")))

        return decorate

    def __repr__(self) -> str:
        return f"<agentreel.{self.kind} decorator>"


agent = _StepDecorator(StepKind.AGENT)
tool = _StepDecorator(StepKind.TOOL)
llm = _StepDecorator(StepKind.LLM)
retrieval = _StepDecorator(StepKind.RETRIEVAL)
