"""The errors a replay raises, and the stand-in for exceptions it cannot rebuild."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentreel.errors import AgentreelError

if TYPE_CHECKING:
    from ._divergence import Divergence


class ReplayDivergence(AgentreelError):
    """The run asked for something the recording does not have (strict mode).

    ``divergence`` holds the facts; the message is its rendered report: the
    step, the call site, what differs, the nearest recorded candidates and
    what to do next.
    """

    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence
        super().__init__(divergence.render())


class IncompleteRecording(AgentreelError):
    """A recorded session lacks steps or payloads, so it cannot be replayed faithfully."""

    def __init__(self, session_id: str, problem: str) -> None:
        self.session_id = session_id
        self.problem = problem
        super().__init__(
            f"session {session_id[:12]} cannot be replayed: {problem}; record the run again "
            "(or import a complete reel file of it)"
        )


class ReplayedError(Exception):
    """A recorded exception whose class could not be rebuilt safely.

    Raised in its place, with the recorded type name and message, when the
    class is not a builtin and its module is not already imported (a replay
    never imports modules named by recorded data), or when it cannot be built
    from a message alone.
    """

    def __init__(self, type_name: str, message: str) -> None:
        self.type_name = type_name
        self.message = message
        super().__init__(f"{type_name}: {message}" if message else type_name)
