"""Payloads: JSON-safe snapshots of inputs and outputs, stored by digest.

``jsonable`` turns any object into a JSON-safe value without raising;
``PayloadEncoder`` splits a value into deduplicated blobs; ``decode_payload``
reads it back through any store's blob lookup.
"""

from ._blobs import (
    EncodedPayload,
    Fetch,
    PayloadEncoder,
    decode_payload,
    digest_of,
    dump_blob,
    dumps,
)
from ._jsonable import bounded_repr, jsonable

__all__ = [
    "EncodedPayload",
    "Fetch",
    "PayloadEncoder",
    "bounded_repr",
    "decode_payload",
    "digest_of",
    "dump_blob",
    "dumps",
    "jsonable",
]
