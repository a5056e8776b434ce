"""Format versions and the registry of migrations between them.

A reel file names its format in its header. Reading a file written in an
older format runs the registered migrations in order (N -> N+1 -> ... ->
current) over its records before anything else looks at them, so the reader
proper only ever understands the current format. A migration never sees the
header or the end record: those two form an envelope whose shape is the same
in every format (see ``_envelope``), which is what lets a reader tell a
truncated file from an old one before migrating it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from agentreel.model import FORMAT_VERSION

#: The reel format this agentreel writes. It is the model's format version: a
#: stored field that changes meaning is a new reel format, with a migration.
REEL_FORMAT_VERSION = FORMAT_VERSION


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One record of a reel file and the line it came from.

    A migration that splits or rewrites a record passes the original line on,
    so errors found after migrating still point into the file.
    """

    line: int
    data: dict[str, Any]


Migration = Callable[[list[Record]], list[Record]]

#: ``MIGRATIONS[n]`` turns the records of format ``n`` into format ``n + 1``.
#: Format 1 is the first, so the registry starts out empty.
MIGRATIONS: dict[int, Migration] = {}


def register_migration(from_version: int) -> Callable[[Migration], Migration]:
    """Register the decorated function as the migration from ``from_version``."""

    def decorate(fn: Migration) -> Migration:
        if from_version in MIGRATIONS:
            raise ValueError(f"a reel migration from format {from_version} is already registered")
        MIGRATIONS[from_version] = fn
        return fn

    return decorate


def oldest_readable(
    to: int = REEL_FORMAT_VERSION, registry: Mapping[int, Migration] = MIGRATIONS
) -> int:
    """The oldest format with an unbroken chain of migrations up to ``to``."""
    version = to
    while version - 1 in registry:
        version -= 1
    return version


def migrate(
    records: list[Record],
    from_version: int,
    to: int = REEL_FORMAT_VERSION,
    registry: Mapping[int, Migration] = MIGRATIONS,
) -> list[Record]:
    """Records of format ``from_version`` rewritten into format ``to``.

    The caller has checked that ``from_version`` is readable (between
    :func:`oldest_readable` and ``to``).
    """
    for version in range(from_version, to):
        records = registry[version](records)
    return records
