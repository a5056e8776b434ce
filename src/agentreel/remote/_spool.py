"""The disk spool: every batch waits here, as a ready request body, until the server has it.

One file per batch, named ``<ns timestamp>-<pid>-<seq>-<span count>.otlp`` so
that name order is write order (within a process exactly, across processes by
time) and the span count is known without decoding. A file is written under a
dot-name and renamed into place, so a reader never sees half a batch; a crash
leaves at most a stale dot-file, cleared on the next start. The files are not
fsynced: the spool survives the process dying, not the machine losing power.

Several processes may share one spool directory (workers of one app); an
advisory lock on ``.lock`` lets one sender at a time ship the directory, so a
file is not sent twice by two processes at once.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SUFFIX = ".otlp"
_STALE_TMP_SECONDS = 600


@dataclass(frozen=True, slots=True)
class SpoolFile:
    path: Path
    spans: int
    size: int


class Spool:
    """A directory of pending request bodies, bounded in total size."""

    def __init__(self, path: Path, *, max_bytes: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_bytes = max_bytes
        self._pid = os.getpid()
        self._seq = itertools.count()
        self._last_stamp = 0
        self._lock = threading.Lock()
        self._lock_file: IO[bytes] | None = None
        self._clear_stale()
        self._size = sum(f.size for f in self.pending())

    def put(self, body: bytes, spans: int) -> bool:
        """Spool ``body``; False (nothing written) if the spool is full."""
        with self._lock:
            if self._size + len(body) > self.max_bytes:
                return False
            # time_ns() can repeat or step back; names must still sort in write order.
            stamp = self._last_stamp = max(time.time_ns(), self._last_stamp + 1)
            name = f"{stamp:020d}-{self._pid}-{next(self._seq):06d}-{spans}{SUFFIX}"
            self._size += len(body)
        tmp = self.path / f".{name}.tmp"
        try:
            try:
                tmp.write_bytes(body)
            except FileNotFoundError:  # someone removed the directory: make it again
                self.path.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(body)
            os.replace(tmp, self.path / name)
        except BaseException:
            with self._lock:
                self._size -= len(body)
            tmp.unlink(missing_ok=True)
            raise
        return True

    def pending(self) -> list[SpoolFile]:
        """The spooled files, oldest first."""
        found: list[SpoolFile] = []
        with os.scandir(self.path) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or not name.endswith(SUFFIX):
                    continue
                try:
                    spans = int(name.removesuffix(SUFFIX).rsplit("-", 1)[1])
                    size = entry.stat().st_size
                except (ValueError, IndexError, OSError):
                    continue
                found.append(SpoolFile(Path(entry.path), spans, size))
        found.sort(key=lambda f: f.path.name)
        return found

    def remove(self, file: SpoolFile) -> None:
        try:
            file.path.unlink()
        except FileNotFoundError:  # another process's sender got there first
            return
        with self._lock:
            self._size = max(0, self._size - file.size)

    # -- one sender per directory ------------------------------------------------------

    def try_lock(self) -> bool:
        """Become the directory's sender; True if this process now is (or already was)."""
        if self._lock_file is not None:
            return True
        if sys.platform == "win32":  # no flock: a file may then be sent twice
            return True
        import fcntl

        try:
            self.path.mkdir(parents=True, exist_ok=True)  # it may have been removed underfoot
            handle = open(self.path / ".lock", "ab")  # noqa: SIM115 - held until unlock()
        except OSError:
            return False
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def unlock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing drops the flock
            self._lock_file = None

    def _clear_stale(self) -> None:
        now = time.time()
        for tmp in self.path.glob(".*.tmp"):
            try:
                if now - tmp.stat().st_mtime > _STALE_TMP_SECONDS:
                    tmp.unlink()
            except OSError:
                pass
