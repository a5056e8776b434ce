"""What every command shares: where the store is and where output goes.

Commands never build their own consoles: tests inject fixed-width, colourless
ones through :class:`CliContext` so that output can be compared exactly.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from rich.console import Console

from agentreel.storage import Store, default_db_path, open_store


def _stdout() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


@dataclass(kw_only=True)
class CliContext:
    """Shared state of one ``agentreel`` invocation (``click`` context ``obj``).

    ``clock`` (ns since the epoch) and ``tz`` (None: the local zone) are here so
    that tests can pin "now" and the zone that times are shown in.
    """

    db: str | None = None
    console: Console = field(default_factory=_stdout)
    err_console: Console = field(default_factory=_stderr)
    clock: Callable[[], int] = time.time_ns
    tz: dt.tzinfo | None = None
    _stores: list[Store] = field(default_factory=list)

    @property
    def db_location(self) -> str:
        return self.db if self.db else str(default_db_path())

    def open_store(self, *, create: bool = False) -> Store:
        """Open the configured store; closed when the command ends."""
        store = open_store(self.db_location, create=create)
        self._stores.append(store)
        return store

    def close(self) -> None:
        while self._stores:
            self._stores.pop().close()


def get_context() -> CliContext:
    """The current invocation's :class:`CliContext` (created on first use)."""
    ctx = click.get_current_context()
    obj = ctx.find_object(CliContext)
    if obj is None:
        obj = ctx.ensure_object(CliContext)
    return obj
