"""The one error hierarchy of agentreel.

Every error agentreel raises on purpose derives from :class:`AgentreelError`,
carries structured fields, and has a message that says what to do next::

    AgentreelError
    ├── ConfigurationError        bad arguments to configure(), bad environment
    ├── StoreError                a store cannot be opened, read or written
    │   ├── StoreUnavailable      the database file is missing or unreadable
    │   └── SchemaTooNew          written by a newer agentreel than this one
    ├── NotFound                  lookups by id
    │   ├── UnknownSession        no session has this id or id prefix
    │   ├── AmbiguousId           an id prefix matches several sessions
    │   ├── UnknownStep           the session has no step with this number
    │   └── MissingPayload        a payload referenced by a step is absent
    ├── ReelFileError             a reel file cannot be read
    │   ├── UnsupportedFormat     written in a newer (or unknown) format version
    │   └── CorruptReelFile       truncated, not JSON, or missing records
    ├── HookError                 a hook plugin that cannot be registered
    ├── StepVetoed                a hook, guard or person vetoed the step about to run
    └── RunAborted                a person aborted the run at a breakpoint

Packages add their own errors below these, defined where they are used:

    AgentreelError
    ├── debugger.BreakpointError          a breakpoint spec that cannot be parsed
    │   └── debugger.PredicateError       a condition with a syntax error (with its column)
    ├── NotFound
    │   └── debugger.UnknownBreakpoint    clearing or enabling a breakpoint that is not set
    ├── StoreError
    │   └── remote.RemoteReadError        reading from a store that only sends to a server
    ├── otel.BadRequest                   an OTLP body that cannot be decoded (status 400 or 415)
    ├── hooks.ControlError                a live process cannot be reached or refused a request
    └── demo.DemoError                    the demo could not record its sessions
        └── demo.ScriptError              the scripted model has no answer for a request

Errors raised *into the host program* by the recorder do not exist: recording
failures are counted (see ``agentreel.stats()``) and logged, never raised. The
two exceptions are the user's own will: ``StepVetoed`` (a hook or guard the
user installed said no) and ``RunAborted`` (a person pressed abort).
"""

from __future__ import annotations

__all__ = [
    "AgentreelError",
    "AmbiguousId",
    "ConfigurationError",
    "CorruptReelFile",
    "HookError",
    "MissingPayload",
    "NotFound",
    "ReelFileError",
    "RunAborted",
    "SchemaTooNew",
    "StepVetoed",
    "StoreError",
    "StoreUnavailable",
    "UnknownSession",
    "UnknownStep",
    "UnsupportedFormat",
]


class AgentreelError(Exception):
    """Base class of every error agentreel raises on purpose."""


class ConfigurationError(AgentreelError):
    """``configure()`` or the environment asked for something impossible."""


class StoreError(AgentreelError):
    """A store could not be opened, read or written."""


class StoreUnavailable(StoreError):
    """The store's database cannot be opened or read."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"cannot open the reel database {location}: {reason}")


class SchemaTooNew(StoreError):
    """The database was written by a newer agentreel."""

    def __init__(self, location: str, found: int, supported: int) -> None:
        self.location = location
        self.found = found
        self.supported = supported
        super().__init__(
            f"the reel database {location} has schema version {found}, but this agentreel "
            f"understands up to {supported}; upgrade agentreel to read it"
        )


class NotFound(AgentreelError):
    """Something looked up by id does not exist."""


class UnknownSession(NotFound):
    """No session has this id or id prefix."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        super().__init__(
            f"no session matches {session_id!r}; `agentreel ls` lists the recorded sessions"
        )


class AmbiguousId(NotFound):
    """An id prefix matches more than one session."""

    def __init__(self, prefix: str, candidates: list[str]) -> None:
        self.prefix = prefix
        self.candidates = candidates
        shown = ", ".join(candidates[:5]) + (", ..." if len(candidates) > 5 else "")
        super().__init__(
            f"session id prefix {prefix!r} matches {len(candidates)} sessions ({shown}); "
            "type more characters"
        )


class UnknownStep(NotFound):
    """The session has no step with this number."""

    def __init__(self, session_id: str, number: int, count: int) -> None:
        self.session_id = session_id
        self.number = number
        self.count = count
        hint = f"its steps are numbered 1 to {count}" if count else "it has no steps"
        super().__init__(f"session {session_id[:12]} has no step {number}; {hint}")


class MissingPayload(NotFound):
    """A step refers to a payload that is not in the store."""

    def __init__(self, digest: str) -> None:
        self.digest = digest
        super().__init__(
            f"payload {digest[:16]} is referenced but not stored; the store is incomplete "
            "(was the session imported from a partial reel file?)"
        )


class ReelFileError(AgentreelError):
    """A reel file cannot be read."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class UnsupportedFormat(ReelFileError):
    """The reel file's format version is newer than this agentreel understands."""


class CorruptReelFile(ReelFileError):
    """The reel file is truncated, not JSON lines, or lacks records it needs."""


class HookError(AgentreelError):
    """A hook plugin does not fit the hook specs; the message names it and the mismatch."""


class StepVetoed(AgentreelError):
    """A hook, a guard or a person vetoed the step about to run.

    Raised where the step's caller would have got its result: the model call,
    tool call or plan never ran. ``hook`` names what decided and ``reason``
    says why. The one-argument constructor lets a replay rebuild it from the
    recorded message.
    """

    def __init__(self, message: str, *, hook: str | None = None, reason: str | None = None) -> None:
        self.hook = hook
        self.reason = reason
        super().__init__(message)


class RunAborted(AgentreelError):
    """A person aborted the run from a breakpoint (``agentreel attach``, the debugger, the UI)."""
