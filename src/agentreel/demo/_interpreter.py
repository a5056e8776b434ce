"""Evaluating the demo repository's Python without executing it.

A small interpreter over the syntax tree: functions with positional
parameters and defaults; ``if``, ``return``, ``raise``, assignments to names;
arithmetic, comparisons, ``and``/``or``/``not``, list and tuple literals,
calls to the module's functions and to a few pure builtins. Errors of the
checked code come out as :class:`Raised` with Python's own wording; anything
outside the subset as :class:`Unsupported`, never run.
"""

from __future__ import annotations

import ast
import builtins
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ExceptionClass",
    "ExceptionValue",
    "Function",
    "Module",
    "ModuleRef",
    "Raised",
    "Unsupported",
    "evaluate",
    "run_statement",
]

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
#: Builtins the checked code may call: pure functions of their arguments.
_SAFE_BUILTINS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "float": float,
    "int": int,
    "len": len,
    "max": max,
    "min": min,
    "round": round,
    "sum": sum,
}
_MAX_DEPTH = 50


class Raised(Exception):
    """An exception raised by the checked code (never a Python exception of ours)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name


class Unsupported(Exception):
    """The checked code uses Python the checker does not model."""


@dataclass(frozen=True, slots=True)
class Function:
    module: Module
    node: ast.FunctionDef


@dataclass(slots=True)
class Module:
    name: str
    path: str
    namespace: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExceptionClass:
    """A builtin exception class named by the checked code."""

    name: str


@dataclass(frozen=True, slots=True)
class ExceptionValue:
    type_name: str
    message: str


@dataclass(frozen=True, slots=True)
class ModuleRef:
    name: str


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


def _call(function: Function, args: list[Any], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise Raised("RecursionError", "maximum recursion depth exceeded")
    node = function.node
    params = node.args
    if params.vararg or params.kwarg or params.kwonlyargs or params.posonlyargs:
        raise Unsupported(f"the signature of {node.name}()")
    if node.decorator_list:
        raise Unsupported(f"the decorators of {node.name}()")
    names = [a.arg for a in params.args]
    required = len(names) - len(params.defaults)
    if not required <= len(args) <= len(names):
        raise Raised("TypeError", f"{node.name}() takes {len(names)} arguments ({len(args)} given)")
    scope = dict(function.module.namespace)
    for i, name in enumerate(names):
        if i < len(args):
            scope[name] = args[i]
        else:
            scope[name] = evaluate(params.defaults[i - required], function.module.namespace, depth)
    try:
        for stmt in function.node.body:
            run_statement(stmt, scope, depth)
    except _Return as ret:
        return ret.value
    return None


def run_statement(stmt: ast.stmt, scope: dict[str, Any], depth: int) -> None:
    if isinstance(stmt, ast.Return):
        raise _Return(None if stmt.value is None else evaluate(stmt.value, scope, depth))
    if isinstance(stmt, ast.Expr):
        evaluate(stmt.value, scope, depth)
    elif isinstance(stmt, ast.If):
        branch = stmt.body if evaluate(stmt.test, scope, depth) else stmt.orelse
        for inner in branch:
            run_statement(inner, scope, depth)
    elif isinstance(stmt, ast.Raise) and stmt.exc is not None:
        value = evaluate(stmt.exc, scope, depth)
        if isinstance(value, ExceptionClass):  # `raise ValueError` without a call
            value = ExceptionValue(value.name, "")
        if not isinstance(value, ExceptionValue):
            raise Raised("TypeError", "exceptions must derive from BaseException")
        raise Raised(value.type_name, value.message)
    elif (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        scope[stmt.targets[0].id] = evaluate(stmt.value, scope, depth)
    elif not isinstance(stmt, ast.Pass):
        raise Unsupported(f"`{ast.unparse(stmt).splitlines()[0]}` (line {stmt.lineno})")


def evaluate(expr: ast.expr, scope: dict[str, Any], depth: int) -> Any:
    if isinstance(expr, ast.Constant):
        return expr.value
    if isinstance(expr, ast.Name):
        if expr.id in scope:
            return scope[expr.id]
        if expr.id in _SAFE_BUILTINS:
            return _SAFE_BUILTINS[expr.id]
        if isinstance(getattr(builtins, expr.id, None), type) and expr.id[0].isupper():
            return ExceptionClass(expr.id)
        raise Raised("NameError", f"name '{expr.id}' is not defined")
    if isinstance(expr, ast.List | ast.Tuple):
        items = [evaluate(e, scope, depth) for e in expr.elts]
        return items if isinstance(expr, ast.List) else tuple(items)
    if isinstance(expr, ast.BinOp) and type(expr.op) in _BINARY:
        left, right = evaluate(expr.left, scope, depth), evaluate(expr.right, scope, depth)
        return _apply(_BINARY[type(expr.op)], left, right)
    if isinstance(expr, ast.UnaryOp):
        value = evaluate(expr.operand, scope, depth)
        if isinstance(expr.op, ast.Not):
            return not value
        if isinstance(expr.op, ast.USub):
            return _apply(operator.neg, value)
        return value
    if isinstance(expr, ast.BoolOp):
        result: Any = None
        for value_expr in expr.values:
            result = evaluate(value_expr, scope, depth)
            if bool(result) is isinstance(expr.op, ast.Or):
                return result
        return result
    if isinstance(expr, ast.Compare):
        left = evaluate(expr.left, scope, depth)
        for op, right_expr in zip(expr.ops, expr.comparators, strict=True):
            right = evaluate(right_expr, scope, depth)
            if not _apply(_COMPARE[type(op)], left, right):
                return False
            left = right
        return True
    if isinstance(expr, ast.Call) and not expr.keywords:
        return _eval_call(expr, scope, depth)
    raise Unsupported(f"`{ast.unparse(expr)}` (line {expr.lineno})")


def _eval_call(expr: ast.Call, scope: dict[str, Any], depth: int) -> Any:
    function = evaluate(expr.func, scope, depth)
    args = [evaluate(a, scope, depth) for a in expr.args]
    if isinstance(function, Function):
        return _call(function, args, depth + 1)
    if isinstance(function, ExceptionClass):
        return ExceptionValue(function.name, str(args[0]) if args else "")
    if callable(function) and function in _SAFE_BUILTINS.values():
        return _apply(function, *args)
    raise Raised("TypeError", f"'{ast.unparse(expr.func)}' is not callable")


def _apply(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return function(*args)
    except (ArithmeticError, TypeError, ValueError) as exc:
        # The checked code's own errors, with Python's own wording.
        raise Raised(type(exc).__name__, str(exc)) from None
