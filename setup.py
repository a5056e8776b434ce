"""Only the C extension lives here; everything else is in pyproject.toml.

``optional=True``: without a C compiler the install goes on without the
extension, and agentreel uses the pure-Python twins of its functions.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("agentreel._speedups", ["src/agentreel/_speedups.c"], optional=True),
    ],
)
