"""Started by ``agentreel record`` / ``agentreel replay``: set agentreel up in this process.

This directory is first on the child's PYTHONPATH only, so Python imports
this module at start-up, before the program runs. A ``sitecustomize`` of the
program's own environment would be hidden by this one, so it is run too.
"""

import importlib.machinery
import importlib.util
import os
import sys

try:
    from agentreel.bootstrap import start
except ImportError as exc:
    if os.environ.get("AGENTREEL_REPLAY"):
        # Without agentreel the program would run against the live models.
        print(f"agentreel: error: this Python cannot import agentreel ({exc})", file=sys.stderr)
        os._exit(2)
    raise

start()

_here = os.path.dirname(os.path.abspath(__file__))
_others = [p for p in sys.path if os.path.abspath(p or ".") != _here]
_spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _others)
if _spec is not None and _spec.loader is not None:
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
