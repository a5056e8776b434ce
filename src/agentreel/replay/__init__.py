"""Replay: re-run a recorded session with every answer served from the recording.

``with agentreel.replay(session_id) as r:`` around the program serves each
model, tool and retrieval call from the recorded session, matched by its
place in the step tree and a digest of its request; a call the recording
does not have is a :class:`Divergence`, explained (where, what differs, the
nearest recorded candidates, what to do next) and handled as the
:class:`ReplayMode` says. ``fork_at=N`` with an :class:`Edit` changes step N
and runs the rest live. ``r.result`` is a :class:`ReplayResult`.
See ``docs/replay.md``.
"""

from ._divergence import Candidate, Divergence, DivergenceKind
from ._errors import IncompleteRecording, ReplayDivergence, ReplayedError
from ._fork import Edit
from ._modes import SERVED_KINDS, ReplayMode
from ._recording import RecordedStep, Recording, load_recording
from ._result import ReplayResult
from ._session import REPLAY_MODE, REPLAY_OF, ReplaySession, replay

__all__ = [
    "REPLAY_MODE",
    "REPLAY_OF",
    "SERVED_KINDS",
    "Candidate",
    "Divergence",
    "DivergenceKind",
    "Edit",
    "IncompleteRecording",
    "RecordedStep",
    "Recording",
    "ReplayDivergence",
    "ReplayMode",
    "ReplayResult",
    "ReplaySession",
    "ReplayedError",
    "load_recording",
    "replay",
]
