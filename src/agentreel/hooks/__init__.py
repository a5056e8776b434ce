"""Hooks: observe every step, decide before it runs (allow, veto, replace, pause), wrap calls.

The hooks are declared once, in :data:`SPECS` (``_spec.py``), each with its
semantics and contract. Register a plugin — any object with methods named
after hooks — with :func:`register` or through the ``agentreel.hooks``
entry-point group. Decisions are recorded on the step they concern, and a
replay of the session reproduces them without calling the hook again.
"""

from ._breakpoints import (
    LiveBreakpoint,
    breakpoint,
    breakpoints,
    clear_breakpoint,
    clear_breakpoints,
)
from ._channel import OPS, ControlHub, Controller
from ._client import ControlClient, ControlError, LiveProcess, control_dir, live_processes
from ._decisions import UNSET, Allow, Annotate, Decision, Pause, Replace, Veto
from ._events import Call, Outcome, SessionEvent, StepEvent
from ._link import ServerLink
from ._link_client import ServerControlClient, linked_processes
from ._manager import DECISION, FINDINGS, HookManager, call_of
from ._pause import ACTIONS, DEFAULT_PAUSE_TIMEOUT, PauseBoard, Paused, Resolution
from ._plugin import DEFAULT_TIMEOUT, Impl, Plugin, hookimpl
from ._registry import (
    ENTRY_POINT_GROUP,
    get_manager,
    load_entry_points,
    register,
    reset,
    unregister,
)
from ._socket import server_link, start_control, stop_control
from ._spec import DECIDE, OBSERVE, SPECS, WRAP, HookSpec

__all__ = [
    "ACTIONS",
    "DECIDE",
    "DECISION",
    "DEFAULT_PAUSE_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "FINDINGS",
    "OBSERVE",
    "OPS",
    "SPECS",
    "UNSET",
    "WRAP",
    "Allow",
    "Annotate",
    "Call",
    "ControlClient",
    "ControlError",
    "ControlHub",
    "Controller",
    "Decision",
    "HookManager",
    "HookSpec",
    "Impl",
    "LiveBreakpoint",
    "LiveProcess",
    "Outcome",
    "Pause",
    "PauseBoard",
    "Paused",
    "Plugin",
    "Replace",
    "Resolution",
    "ServerControlClient",
    "ServerLink",
    "SessionEvent",
    "StepEvent",
    "Veto",
    "breakpoint",
    "breakpoints",
    "call_of",
    "clear_breakpoint",
    "clear_breakpoints",
    "control_dir",
    "get_manager",
    "hookimpl",
    "linked_processes",
    "live_processes",
    "load_entry_points",
    "register",
    "reset",
    "server_link",
    "start_control",
    "stop_control",
    "unregister",
]
