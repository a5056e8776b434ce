"""The shape of the package: curated public names, and imports that point inward."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

import agentreel

SRC = Path(agentreel.__file__).parent

#: Inner layers have lower ranks. A module may import its own layer and inner
#: ones, never an outer one (DESIGN.md, "imports point inward only").
RANK = {
    "errors": 0,
    "_version": 0,
    "_speedups": 0,
    "_redact": 1,
    "model": 1,
    "_units": 1,
    "_http": 1,
    "payloads": 2,
    "pricing": 2,
    "storage": 3,
    "otel": 3,
    "recording": 4,
    "remote": 4,
    "hooks": 4,
    "reelfile": 4,
    "debugger": 4,
    "diff": 4,
    "replay": 5,
    "determinism": 5,
    "detectors": 5,
    "guards": 5,
    "__init__": 5,
    "testing": 6,
    "reports": 6,
    "integrations": 6,
    "demo": 7,
    "bootstrap": 7,
    "cli": 8,
    "server": 8,
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(path.relative_to(SRC.parent).with_suffix("").parts)
                base = base[: len(base) - node.level]
                if path.name == "__init__.py":
                    base = list(path.relative_to(SRC.parent).parts[:-1])[: -node.level + 1 or None]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_every_layer_is_ranked() -> None:
    layers = {_layer(p) for p in _modules()}
    assert layers <= set(RANK), f"unranked layers: {layers - set(RANK)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_inward(path: Path) -> None:
    layer = _layer(path)
    for lineno, module in _imports(path):
        parts = module.split(".")
        if parts[0] != "agentreel" or len(parts) < 2:
            continue
        target = parts[1]
        assert RANK[target] <= RANK[layer], (
            f"{path.relative_to(SRC)}:{lineno} imports agentreel.{target} "
            f"(rank {RANK[target]}) from layer {layer} (rank {RANK[layer]})"
        )


@pytest.mark.parametrize("path", sorted((SRC / "model").glob("*.py")), ids=lambda p: p.name)
def test_model_is_stdlib_only(path: Path) -> None:
    for lineno, module in _imports(path):
        top = module.split(".")[0]
        if top == "agentreel":
            assert module.startswith(("agentreel.model", "agentreel.errors")), (path, lineno)
        else:
            assert top in sys.stdlib_module_names or top == "__future__", (
                f"{path.name}:{lineno} imports {module}, which is not in the standard library"
            )


def _isort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions.
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[0].isupper() else 2), name


def _packages() -> list[str]:
    names = ["agentreel"]
    for info in pkgutil.walk_packages(agentreel.__path__, "agentreel."):
        last = info.name.rsplit(".", 1)[-1]
        if info.ispkg and not last.startswith("_"):
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _packages())
def test_public_names_are_curated(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported, key=_isort_key), f"{name}.__all__ is not sorted"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr}, which does not exist"
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not isinstance(v, type(sys))
        and getattr(v, "__module__", name).startswith("agentreel")
        and n not in {"annotations"}
    }
    missing = public - set(exported)
    assert not missing, f"{name} has public names missing from __all__: {sorted(missing)}"
