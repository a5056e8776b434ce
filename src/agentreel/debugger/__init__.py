"""Stepping through a recorded session like a debugger, independent of any terminal.

A :class:`Stepper` holds a cursor over one session's steps and moves it like
pdb does — into children, over them, back, up to the parent — and runs to
breakpoints set on a step number, kind, name, tool, failure, or a condition in
a small safe language (:func:`parse_predicate`). ``agentreel debug`` is its
command-line front end.
"""

from ._breakpoints import Breakpoint, Condition, parse_condition
from ._context import ModelContext, model_context
from ._errors import BreakpointError, PredicateError, UnknownBreakpoint
from ._fields import FIELDS, MissingField, StepFields, check_field
from ._parser import parse_predicate
from ._predicate import Predicate, Unknown
from ._stepper import Stepper, Stop

__all__ = [
    "FIELDS",
    "Breakpoint",
    "BreakpointError",
    "Condition",
    "MissingField",
    "ModelContext",
    "Predicate",
    "PredicateError",
    "StepFields",
    "Stepper",
    "Stop",
    "Unknown",
    "UnknownBreakpoint",
    "check_field",
    "model_context",
    "parse_condition",
    "parse_predicate",
]
