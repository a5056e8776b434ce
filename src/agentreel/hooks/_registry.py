"""The process's one hook manager, and registering plugins with it.

Plugins are registered by object (``register``) or found through the
``agentreel.hooks`` entry-point group (``load_entry_points``). Registering
works before or after ``agentreel.configure()``: the manager belongs to the
process, and every recorder uses it.
"""

from __future__ import annotations

import threading

from agentreel.errors import HookError
from agentreel.recording import count_loss, install_hooks, price_of

from ._manager import HookManager
from ._plugin import Plugin

__all__ = [
    "ENTRY_POINT_GROUP",
    "get_manager",
    "load_entry_points",
    "register",
    "reset",
    "unregister",
]

ENTRY_POINT_GROUP = "agentreel.hooks"
_lock = threading.Lock()
_manager: HookManager | None = None


def get_manager() -> HookManager:
    """The process's hook manager, created (and given to the recorder) on first use."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = HookManager(loss=count_loss, cost=price_of)
            install_hooks(_manager)
        return _manager


def register(plugin: object, *, name: str | None = None, priority: int = 0) -> Plugin:
    """Start calling ``plugin``'s hooks for every recorded step.

    ``plugin`` is any object with methods named after the hooks in
    ``agentreel.hooks.SPECS``. It is checked now: a method that looks like a
    hook but is not one, a wrong signature or a wrap hook that is not a
    generator raises :class:`~agentreel.errors.HookError` naming the plugin
    and the mismatch. Deciders with a higher ``priority`` are asked first.
    """
    return get_manager().register(plugin, name=name, priority=priority)


def unregister(name: str) -> None:
    """Stop calling the hooks of the plugin registered as ``name``."""
    get_manager().unregister(name)


def load_entry_points(group: str = ENTRY_POINT_GROUP) -> list[Plugin]:
    """Register every plugin that installed packages declare in ``group``.

    An entry point names an object or a class (instantiated with no
    arguments). One that cannot be loaded raises ``HookError`` naming it.
    """
    from importlib.metadata import entry_points  # slow to import; rarely needed

    loaded = []
    for ep in entry_points(group=group):
        where = f"entry point {ep.name!r} ({ep.value}) in group {group!r}"
        try:
            target = ep.load()
            obj = target() if isinstance(target, type) else target
        except Exception as exc:
            raise HookError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from exc
        try:
            loaded.append(register(obj, name=ep.name))
        except HookError as exc:
            raise HookError(f"{where}: {exc}") from None
    return loaded


def reset() -> None:
    """Unregister every plugin, clear breakpoints and close the control channel (for tests).

    The old manager's observers still get what was queued for them; then
    their thread ends.
    """
    global _manager
    from ._socket import stop_control  # the channel builds on this module

    stop_control()
    with _lock:
        if _manager is not None:
            _manager.close()
        _manager = None
        install_hooks(None)
