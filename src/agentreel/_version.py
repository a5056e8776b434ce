"""The installed version of agentreel, looked up on first use.

``importlib.metadata`` takes tens of milliseconds to import; a program that
only records should not pay that at ``import agentreel``.
"""

from __future__ import annotations

import functools


@functools.cache
def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("agentreel")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"
