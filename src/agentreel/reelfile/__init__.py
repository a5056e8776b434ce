"""Reel files: a portable, versioned, human-readable export of sessions.

A reel file is JSON lines, one record per line, each an object whose first key
is ``type``::

    {"type":"header","magic":"agentreel","format":1,"created_at":...,"producer":...}
    {"type":"session","id":...}            then, for each session,
    {"type":"step","session_id":...}       its steps in number order,
    {"type":"blob","digest":...,"value":...}   and the payload blobs they use
    {"type":"end","counts":{"session":1,"step":5,"blob":9}}

Blobs hold their JSON content as-is (readable without tools) and are checked
against their digest on import; a blob shared by several sessions appears
once. The header and the end record keep this shape in every format version:
the header says which format the rest is in, and the end record's counts let
a reader tell a truncated file from a complete one. Files may be gzipped; the
reader recognises gzip by its magic bytes.

Older formats are migrated on reading through the registry in ``_migrate``;
``tests/golden/`` holds files of every format, which must keep importing.
"""

from ._export import ExportSummary, export_reel
from ._import import ImportSummary, import_reel
from ._migrate import REEL_FORMAT_VERSION
from ._read import Reel, read_reel

__all__ = [
    "REEL_FORMAT_VERSION",
    "ExportSummary",
    "ImportSummary",
    "Reel",
    "export_reel",
    "import_reel",
    "read_reel",
]
