"""The demo's virtual repository: a dict of file path to text that tools act on."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ._checker import TestReport, check_tests

__all__ = ["VirtualRepo"]

MAX_SEARCH_HITS = 20


class VirtualRepo:
    """An in-memory repository. ``edit`` changes it; ``run_tests`` checks its tests.

    Errors are the ones a real file system and test run would raise
    (``FileNotFoundError``, ``ModuleNotFoundError``, ...), with Python's wording,
    because the demo's agents read them the way they would read real ones.
    """

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = dict(files)

    @property
    def files(self) -> Mapping[str, str]:
        """A read-only, live view of the files."""
        return MappingProxyType(self._files)

    def read(self, path: str) -> str:
        try:
            return self._files[path]
        except KeyError:
            raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'") from None

    def edit(self, path: str, old: str, new: str) -> None:
        """Replace the one occurrence of ``old`` in ``path`` with ``new``."""
        text = self.read(path)
        count = text.count(old) if old else 0
        if count != 1:
            found = "does not occur" if count == 0 else f"occurs {count} times"
            raise ValueError(
                f"{path}: the text to replace {found}; it must occur exactly once "
                "(read the file again and copy the exact lines)"
            )
        self._files[path] = text.replace(old, new, 1)

    def search(self, text: str) -> list[str]:
        """``path:line: content`` for each line containing ``text``, in path order."""
        hits: list[str] = []
        for path in sorted(self._files):
            for number, line in enumerate(self._files[path].splitlines(), 1):
                if text in line:
                    hits.append(f"{path}:{number}: {line.strip()}")
                    if len(hits) == MAX_SEARCH_HITS:
                        return hits
        return hits

    def run_tests(self, path: str) -> TestReport:
        return check_tests(self._files, path)

    def dump(self) -> str:
        """Every file, one after the other: what a careless agent pastes into a prompt."""
        return "\n".join(f"=== {path} ===\n{self._files[path]}" for path in sorted(self._files))
