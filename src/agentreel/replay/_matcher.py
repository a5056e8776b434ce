"""Matching live steps to recorded ones: position, then request.

The state of one replay's matching: which recorded steps are used (and by
which live step), where each position's unused steps begin, and how many
answers are left. The caller holds the lock.
"""

from __future__ import annotations

from collections.abc import Iterator

from agentreel.diff import diff_values, normalise
from agentreel.payloads import PayloadEncoder
from agentreel.recording import StepHandle

from ._digest import request_digest_of
from ._recording import Position, RecordedStep, Recording

#: Where the hooks keep a replaced step's original input (agentreel.hooks).
INPUT_BEFORE = "agentreel.decision.input_before"


class Matcher:
    """Picks the recorded step that answers a live one, and marks it used."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        #: Recorded step number -> the live step number it was matched to.
        self.consumed: dict[int, int] = {}
        #: Recorded model, tool and retrieval answers not used yet.
        self.remaining = sum(1 for n in recording.servable if recording.steps[n].finished)
        # Per position, the index of its first step that may be unused, so
        # that a run matching in order never rescans what it used.
        self._first: dict[Position, int] = {}
        # Digests live inputs exactly as the recorder's writer does (its chain
        # memory only decides which blobs to write, never a digest).
        self._encoder = PayloadEncoder(max_known=1024)

    def call(self, key: Position, step: StepHandle) -> RecordedStep | None:
        """The recorded step at ``key`` that answers ``step``, marked as used.

        The lowest-numbered unused one that asked the very same: most of the
        time the live input is byte for byte the recorded one, its payload
        digest (computed as the recorder computes it) equals the recorded
        ``input_ref``, and nothing needs reading, decoding or normalising.
        Only when no step there asked the same bytes (a generated id changed,
        say) are both sides normalised and digested, and the lowest-numbered
        unused one whose request digest equals the live request's answers.
        """
        pool = self.recording.positions.get(key)
        if not pool:
            return None
        start = self._start(key, pool)
        live = step.input
        live_ref = None if live is None else self._encoder.root_of(live)
        # The same bytes first: calls started in another order than recorded
        # (threads, asyncio) then still need no recorded input decoded. Most
        # often it is the first unused step (a program replayed in order).
        chosen = pool[start] if start < len(pool) else None
        if chosen is None or chosen.input_ref != live_ref or not chosen.finished:
            chosen = next((rs for rs in self._open(pool, start) if rs.input_ref == live_ref), None)
        if chosen is None:
            live_digest = request_digest_of(step.kind, step.name, normalise(live))
            chosen = next(
                (
                    rs
                    for rs in self._open(pool, start)
                    if rs.digest == live_digest or self._asked(rs) == live_digest
                ),
                None,
            )
        if chosen is None and self.recording.payloads.any_masks():
            # A recorded secret mask matches the text it hid, which no digest can see.
            request = normalise(live)
            chosen = next(
                (
                    rs
                    for rs in self._open(pool, start)
                    if rs.masked_input and not diff_values(rs.request, request)
                ),
                None,
            )
        if chosen is not None:
            self.consumed[chosen.number] = step.number
            self.remaining -= 1
        return chosen

    def _start(self, key: Position, pool: tuple[RecordedStep, ...]) -> int:
        """Where the unused steps of ``pool`` begin (a run matching in order never rescans)."""
        consumed = self.consumed
        start = self._first.get(key, 0)
        while start < len(pool) and pool[start].number in consumed:
            start += 1
        self._first[key] = start
        return start

    def _open(self, pool: tuple[RecordedStep, ...], start: int) -> Iterator[RecordedStep]:
        """The finished, unused steps of ``pool`` from ``start`` on, in order."""
        consumed = self.consumed
        # Indexed, not islice(pool, start, None): islice steps through the
        # first ``start`` items on every call, which made a long session's
        # matching quadratic.
        return (
            rs
            for i in range(start, len(pool))
            if (rs := pool[i]).number not in consumed and rs.finished
        )

    def _asked(self, rs: RecordedStep) -> str | None:
        """The digest of what the program asked at ``rs``, when a hook replaced it.

        A step whose input a hook replaced was recorded with the input that
        ran; the program, replayed without the hook, asks for the original.
        """
        before = rs.attributes.get(INPUT_BEFORE)
        if before is None:
            return None
        return request_digest_of(rs.kind, rs.name, normalise(before))

    def structural(self, key: Position, step: StepHandle) -> RecordedStep | None:
        """The recorded agent, plan or other structural step that ``step`` replays.

        The first unused one at ``key``, unless a later unused one was started
        with the same input: threads start sibling steps in whatever order the
        scheduler picks, and a worker agent given "green" must find the
        recorded "green" worker (and so its model calls), not the first one.
        """
        pool = self.recording.positions.get(key)
        if not pool:
            return None
        consumed = self.consumed
        start = self._start(key, pool)
        if start == len(pool):
            return None
        chosen = pool[start]
        live = step.input
        if live is not None and len(pool) - start > 1:
            live_ref = self._encoder.root_of(live)
            if chosen.input_ref != live_ref:
                for i in range(start + 1, len(pool)):
                    rs = pool[i]
                    if rs.number not in consumed and rs.input_ref == live_ref:
                        chosen = rs
                        break
        consumed[chosen.number] = step.number
        return chosen

    def unconsumed(self) -> tuple[int, ...]:
        """Recorded model, tool and retrieval steps (finished ones) never matched."""
        steps = self.recording.steps
        return tuple(
            n for n in self.recording.servable if n not in self.consumed and steps[n].finished
        )
