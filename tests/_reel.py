"""A real SQLite reel for tests that record a run and look at what was stored.

Shared by the hook, guard, plan and determinism tests (``from tests._reel import Reel``);
each directory's conftest makes its own ``reel`` fixture from it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from rich.console import Console

import agentreel
from agentreel import hooks
from agentreel.cli._app import cli
from agentreel.cli._context import CliContext
from agentreel.model import Step
from agentreel.storage import SQLiteStore, load_payload


@dataclass(frozen=True, slots=True)
class Reel:
    path: Path
    #: Prices for ``configure()`` (USD per 1M tokens by model), if the tests need costs.
    prices: dict[str, dict[str, float]] | None = None
    #: Keep an exception of the recorded run from the test (it is on the session).
    swallow: bool = False

    def configure(self, **config: Any) -> None:
        agentreel.configure(db=self.path, flush_interval=0.05, prices=self.prices, **config)

    def record(
        self,
        run: Callable[[], Any],
        name: str = "run",
        *,
        deterministic: bool = False,
        **config: Any,
    ) -> str:
        """Run ``run`` in a session recorded into the reel; the session's id.

        ``config`` goes to ``configure()``. With ``swallow`` an exception ``run``
        raises is recorded on the session and kept from the test, which looks
        at the recording instead.
        """
        self.configure(**config)
        try:
            with agentreel.session(name, deterministic=deterministic) as s:
                run()
        except Exception:
            if not self.swallow:
                raise
        finally:
            hooks.get_manager().drain()
            agentreel.shutdown()
        return s.id

    def steps(self, session_id: str) -> list[Step]:
        store = SQLiteStore(self.path, create=False)
        try:
            return store.get_steps(session_id)
        finally:
            store.close()

    def payload(self, ref: str | None) -> Any:
        store = SQLiteStore(self.path, create=False)
        try:
            return None if ref is None else load_payload(store, ref)
        finally:
            store.close()

    def cli(self, *args: str) -> tuple[int, str, str]:
        """``agentreel --db REEL ARGS`` in-process: exit code, stdout, stderr."""
        out = Console(width=100, no_color=True, file=io.StringIO())
        err = Console(width=100, no_color=True, file=io.StringIO())
        obj = CliContext(db=str(self.path), console=out, err_console=err, tz=dt.UTC)
        result = CliRunner().invoke(cli, list(args), obj=obj, catch_exceptions=False)  # type: ignore[arg-type]
        assert isinstance(out.file, io.StringIO) and isinstance(err.file, io.StringIO)
        return result.exit_code, out.file.getvalue(), err.file.getvalue()


def clean_hooks() -> Iterator[None]:
    """The body of each directory's autouse fixture: no hooks leak between tests."""
    hooks.reset()
    yield
    hooks.reset()
    agentreel.shutdown()
