"""OTLP/HTTP trace ingest: spans from any GenAI instrumentation into sessions and steps.

``decode_request`` reads an export request body (protobuf or OTLP/JSON);
``ingest`` normalises its spans (OpenTelemetry GenAI conventions,
OpenInference, OpenLLMetry and agentreel's own export) into a store and
reports what it accepted and rejected. The mapping is documented in
``docs/otel.md``. Needs ``opentelemetry-proto`` (the ``export`` extra) to decode.
"""

from ._decode import decode_request
from ._errors import BadRequest
from ._ingest import MAX_CHARS, IngestReport, ingest
from ._kinds import kind_of
from ._sessions import SESSION_KEYS

__all__ = [
    "MAX_CHARS",
    "SESSION_KEYS",
    "BadRequest",
    "IngestReport",
    "decode_request",
    "ingest",
    "kind_of",
]
