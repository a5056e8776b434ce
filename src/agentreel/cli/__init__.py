"""The ``agentreel`` command line (needs the ``cli`` extra: click and rich)."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``agentreel`` command."""
    try:
        from ._app import cli
    except ImportError as exc:  # the extra is missing: say how to get it, in one line
        missing = exc.name or "a dependency"
        print(
            f"agentreel: the command line needs {missing}; "
            "install it with: pip install 'agentreel[cli]'",
            file=sys.stderr,
        )
        return 2
    result = cli.main(args=argv, prog_name="agentreel", standalone_mode=False)
    return result if isinstance(result, int) else 0
