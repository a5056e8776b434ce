"""A tiny, deterministic test runner for the demo's virtual repository.

The demo's tools must really act on the code they are shown: a fix changes
what ``run_tests`` reports. Executing the repository's text with ``exec``
would make the demo run arbitrary code from its own payloads, so instead the
code is read: this module resolves ``import`` statements against the
repository's files and runs pytest tests written as ``assert`` statements and
``with pytest.raises(...)`` blocks; ``_interpreter`` evaluates the functions
they call. Anything outside that small subset of Python is reported as a test
error that names the construct, never run.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._interpreter import (
    Function,
    Module,
    ModuleRef,
    Raised,
    Unsupported,
    evaluate,
    run_statement,
)

__all__ = ["TestFailure", "TestReport", "check_tests"]

#: Modules a test may import that are not part of the repository.
_EXTERNAL = frozenset({"pytest"})


@dataclass(frozen=True, slots=True, kw_only=True)
class TestFailure:
    """One test that did not pass, with a pytest-like one-line reason."""

    __test__ = False  # not a pytest test class, despite the name

    test: str
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TestReport:
    """The outcome of running the tests of one or more test files."""

    __test__ = False

    paths: tuple[str, ...]
    passed: tuple[str, ...] = ()
    failed: tuple[TestFailure, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed and bool(self.passed)

    @property
    def summary(self) -> str:
        parts = []
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        parts.append(f"{len(self.passed)} passed")
        return ", ".join(parts)


def check_tests(files: Mapping[str, str], path: str) -> TestReport:
    """Run the tests in ``path`` (a test file, or a folder of ``test_*.py`` files).

    Raises ``FileNotFoundError`` when there are no such tests, and the import
    errors Python would raise (``ModuleNotFoundError``, ``ImportError``) when a
    test file cannot be collected.
    """
    folder = path.rstrip("/") + "/"
    if path in files:
        targets = [path]
    else:
        targets = sorted(
            p for p in files if p.startswith(folder) and p.rsplit("/", 1)[-1].startswith("test_")
        )
    if not targets:
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'")
    loader = _Loader(files)
    passed: list[str] = []
    failed: list[TestFailure] = []
    for target in targets:
        module = loader.load_file(target)
        for name, value in module.namespace.items():
            if name.startswith("test_") and isinstance(value, Function):
                test_id = f"{target}::{name}"
                error = _run_test(value)
                if error is None:
                    passed.append(test_id)
                else:
                    failed.append(TestFailure(test=test_id, error=error))
    return TestReport(paths=tuple(targets), passed=tuple(passed), failed=tuple(failed))


class _Loader:
    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = files
        self._modules: dict[str, Module] = {}

    def load_file(self, path: str) -> Module:
        name = path.removesuffix(".py").replace("/", ".")
        return self._load(name, path)

    def load_module(self, name: str) -> Module:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            base = prefix.replace(".", "/")
            is_leaf = i == len(parts)
            if is_leaf and base + ".py" in self._files:
                return self._load(name, base + ".py")
            if base + "/__init__.py" in self._files:
                if is_leaf:
                    return self._load(name, base + "/__init__.py")
                continue
            if not is_leaf and any(p.startswith(base + "/") for p in self._files):
                continue  # a namespace package: a folder without __init__.py
            raise ModuleNotFoundError(f"No module named '{prefix}'", name=prefix)
        raise ModuleNotFoundError(f"No module named '{name}'", name=name)  # pragma: no cover

    def _load(self, name: str, path: str) -> Module:
        if name in self._modules:
            return self._modules[name]
        module = Module(name, path)
        self._modules[name] = module
        tree = ast.parse(self._files[path], filename=path)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                module.namespace[node.name] = Function(module, node)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(module, node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name not in _EXTERNAL:
                        self.load_module(alias.name)
                    module.namespace[alias.asname or alias.name] = ModuleRef(alias.name)
        return module

    def _import_from(self, module: Module, node: ast.ImportFrom) -> None:
        source = node.module or ""
        if node.level:
            package = module.name.split(".")
            if not module.path.endswith("/__init__.py"):
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            source = ".".join([*package, source] if source else package)
        target = self.load_module(source)
        for alias in node.names:
            if alias.name not in target.namespace:
                raise ImportError(
                    f"cannot import name '{alias.name}' from '{source}' ({target.path})",
                    name=source,
                )
            module.namespace[alias.asname or alias.name] = target.namespace[alias.name]


def _run_test(test: Function) -> str | None:
    """``None`` when the test passes, else why it failed."""
    scope = dict(test.module.namespace)
    try:
        for stmt in test.node.body:
            _run_test_statement(stmt, scope)
    except Raised as exc:
        return str(exc)
    except Unsupported as exc:
        return f"the demo checker cannot run this test: {exc}"
    return None


def _run_test_statement(stmt: ast.stmt, scope: dict[str, Any]) -> None:
    if isinstance(stmt, ast.Assert):
        if not evaluate(stmt.test, scope, 0):
            shown = ast.unparse(stmt.test)
            got = ""
            if isinstance(stmt.test, ast.Compare):
                got = f" (left side was {evaluate(stmt.test.left, scope, 0)!r})"
            raise Raised("AssertionError", f"assert {shown}{got}")
    elif isinstance(stmt, ast.With) and len(stmt.items) == 1:
        expected = _expected_exception(stmt.items[0].context_expr)
        try:
            for inner in stmt.body:
                _run_test_statement(inner, scope)
        except Raised as exc:
            if not _is_subclass(exc.type_name, expected):
                raise
            return
        raise Raised("Failed", f"DID NOT RAISE <class '{expected}'>")
    else:
        run_statement(stmt, scope, 0)


def _expected_exception(expr: ast.expr) -> str:
    if (
        isinstance(expr, ast.Call)
        and ast.unparse(expr.func) == "pytest.raises"
        and len(expr.args) == 1
        and isinstance(expr.args[0], ast.Name)
    ):
        return expr.args[0].id
    raise Unsupported(f"`with {ast.unparse(expr)}` (only pytest.raises(SomeError) is known)")


def _is_subclass(raised: str, expected: str) -> bool:
    raised_cls = getattr(builtins, raised, None)
    expected_cls = getattr(builtins, expected, None)
    if isinstance(raised_cls, type) and isinstance(expected_cls, type):
        return issubclass(raised_cls, expected_cls)
    return raised == expected
