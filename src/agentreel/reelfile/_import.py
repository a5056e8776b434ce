"""Loading a reel file into a store."""

from __future__ import annotations

from dataclasses import dataclass

from agentreel.errors import UnknownSession
from agentreel.storage import Store, WriteBatch

from ._io import Source
from ._read import read_reel


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSummary:
    """What :func:`import_reel` wrote.

    ``steps`` and ``blobs`` count what the file holds (a store keeps one copy
    of a blob it already had). ``replaced`` lists the imported sessions the
    store already had: their session record and steps were overwritten by the
    file's, step by step number, under the store's usual rule that a running
    record never replaces a finished one.
    """

    session_ids: tuple[str, ...]
    steps: int
    blobs: int
    replaced: tuple[str, ...]


def import_reel(store: Store, source: Source) -> ImportSummary:
    """Check the whole reel file, then write its sessions in one batch.

    A file that fails any check raises before the store is touched, so an
    import is all or nothing. Importing the same file twice changes nothing
    the second time and reports every session as replaced.
    """
    reel = read_reel(source)
    ids = tuple(s.id for s in reel.sessions)
    replaced = tuple(i for i in ids if _has_session(store, i))
    store.write(
        WriteBatch(
            sessions=reel.sessions,
            steps=[s.to_row() for s in reel.steps],
            blobs=reel.blobs,
        )
    )
    return ImportSummary(
        session_ids=ids, steps=len(reel.steps), blobs=len(reel.blobs), replaced=replaced
    )


def _has_session(store: Store, session_id: str) -> bool:
    try:
        store.get_session(session_id)
    except UnknownSession:
        return False
    return True
