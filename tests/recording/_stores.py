"""Stores for the recorder's tests: real memory stores that misbehave in one way."""

from __future__ import annotations

import time

from agentreel.storage import MemoryStore, WriteBatch


class SlowStore(MemoryStore):
    """A real memory store whose every write takes a while (a slow disk)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def write(self, batch: WriteBatch) -> None:
        time.sleep(self.delay)
        super().write(batch)
