"""The payload blobs of one recorded session: outputs read up front, inputs when needed.

Serving a recorded answer needs its output, so every output payload, with
every blob it refers to, is read when the recording is loaded, in a handful
of bulk queries: a recording missing one is refused before the program runs,
not halfway through it.

Inputs are most of a session's blobs (the conversation resent on every model
call) and matching does not need them: a live request is matched by its
payload digest, computed as the recorder computes it, against the recorded
``input_ref``. So a replay reads them only when something looks inside a
recorded input — a request that is not byte for byte the recorded one, a
divergence to explain, a secret mask to honour — and then all of them at
once, checked as the outputs were: a missing one raises
:class:`IncompleteRecording` naming the step, at the call that needed it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal, Protocol

import orjson

from agentreel.diff import REDACTED, normalise
from agentreel.errors import AgentreelError, MissingPayload, StoreError
from agentreel.model import JSON, Step
from agentreel.payloads import decode_payload
from agentreel.reelfile._payloads import reachable
from agentreel.storage import Store

from ._digest import request_digest_of
from ._errors import IncompleteRecording

#: What every payload marker (``"@blob"``, ``"@chain"``, ``"@lit"``) starts with.
_MARKER = b'"@'
_MASK = REDACTED.encode()

Which = Literal["input", "output"]


class _Refs(Protocol):
    """What naming a step with a missing payload needs of it."""

    @property
    def input_ref(self) -> str | None: ...
    @property
    def output_ref(self) -> str | None: ...
    def label(self) -> str: ...


class Payloads:
    """The payload blobs of one recorded session, decoded on demand."""

    def __init__(self, store: Store, session_id: str) -> None:
        self._store = store
        self._session_id = session_id
        self._steps: Sequence[_Refs] = ()
        self._blobs: dict[str, bytes] = {}
        self._values: dict[str, JSON] = {}
        self._requests: dict[str, JSON] = {}
        self._digests: dict[tuple[str, str, str | None], str] = {}
        self._inputs_read = False
        #: Whether a blob read so far holds a secret mask (every output blob
        #: is read at load; see :meth:`any_masks` for the inputs too).
        self.masks = False

    def read_outputs(self, steps: Sequence[_Refs]) -> None:
        """Read every output payload of ``steps``; raises ``IncompleteRecording``."""
        self._steps = steps
        self._read("output")

    def read_inputs(self) -> None:
        """Read every input payload, once; raises ``IncompleteRecording`` or ``StoreError``.

        It may run while the program does, inside a call that a recorder
        interceptor answers: any failure must be an agentreel error, which
        stops the call, never one the recorder would count and let run live.
        """
        if self._inputs_read:
            return
        try:
            self._read("input")
        except AgentreelError:
            raise
        except Exception as exc:
            raise StoreError(
                f"replay could not read the recorded inputs of session "
                f"{self._session_id[:12]} from its store: {type(exc).__name__}: {exc}"
            ) from exc
        self._inputs_read = True

    def any_masks(self) -> bool:
        """Whether any payload of the session holds a secret mask (reads the inputs)."""
        self.read_inputs()
        return self.masks

    def _read(self, which: Which) -> None:
        attr = f"{which}_ref"
        refs = [ref for s in self._steps if (ref := getattr(s, attr)) is not None]
        try:
            found = reachable(self._store.get_blobs, refs, set(self._blobs))
        except MissingPayload:
            self._name_missing(which)
            raise
        self._blobs.update(found)
        # find(), not `in`: bytes `in` first tries the needle as an int (a TypeError).
        self.masks = self.masks or any(data.find(_MASK) >= 0 for _, data in found)

    def _name_missing(self, which: Which) -> None:
        """Decode step by step to name the step whose payload is missing, and raise."""
        for step in self._steps:
            ref = step.input_ref if which == "input" else step.output_ref
            if ref is None:
                continue
            try:
                decode_payload(ref, self._fetch)
            except MissingPayload as exc:
                raise IncompleteRecording(
                    self._session_id,
                    f"{step.label()} refers to {which} payload {exc.digest[:16]}, "
                    "which is not in the store",
                ) from exc

    def step(self, number: int) -> Step:
        """Step ``number`` of the session, as the store has it."""
        return self._store.get_step(self._session_id, number)

    def value(self, ref: str | None) -> JSON:
        """The payload, decoded once and shared: only for reading."""
        if ref is None:
            return None
        found = self._values.get(ref)
        if found is None and ref not in self._values:
            found = self._values[ref] = self.fresh(ref)
        return found

    def fresh(self, ref: str | None) -> JSON:
        """The payload as new objects, which the caller may hand out and let mutate."""
        if ref is None:
            return None
        data = self._blobs.get(ref)
        if data is None and not self._inputs_read:
            self.read_inputs()  # not an output: an input, read with all the others
            data = self._blobs.get(ref)
        if data is not None and data.find(_MARKER) < 0:
            # Every payload marker is a key starting with "@", so a blob
            # without '"@' anywhere is plain JSON: the value itself.
            return orjson.loads(data)
        return decode_payload(ref, self._fetch)

    def request(self, ref: str | None) -> JSON:
        """The input payload, normalised (generated ids renumbered)."""
        if ref is None:
            return None
        found = self._requests.get(ref)
        if found is None and ref not in self._requests:
            found = self._requests[ref] = normalise(self.value(ref))
        return found

    def digest(self, kind: str, name: str, ref: str | None) -> str:
        key = (kind, name, ref)
        found = self._digests.get(key)
        if found is None:
            found = self._digests[key] = request_digest_of(kind, name, self.request(ref))
        return found

    def _fetch(self, digests: Collection[str]) -> dict[str, bytes]:
        blobs = self._blobs
        missing = [d for d in digests if d not in blobs]
        if missing:
            blobs.update(self._store.get_blobs(missing))
        return {d: blobs[d] for d in digests if d in blobs}
