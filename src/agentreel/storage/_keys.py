"""API keys: how a secret is made, what is stored of it, and how it is checked.

Every backend keeps the same fields and applies these functions, so a key made
by one server process (or by ``agentreel keys create``) works in every other.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from ._protocol import ApiKey

#: Secrets look like ``agr_<key id>_<random>``: a recognisable prefix (secret
#: scanners and people can tell what leaked) and the key id, so a check looks
#: the key up by id and compares hashes in constant time.
PREFIX = "agr"
_SECRET = re.compile(rf"{PREFIX}_([0-9a-f]{{16}})_[A-Za-z0-9_-]{{43}}")


@dataclass(frozen=True, slots=True, kw_only=True)
class NewKey:
    """A key about to be stored: what is listed, and the hash of its secret."""

    key: ApiKey
    secret: str
    secret_hash: str


def new_key(project: str, name: str) -> NewKey:
    key_id = secrets.token_hex(8)
    secret = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return NewKey(
        key=ApiKey(id=key_id, project=project, name=name, created_at=time.time_ns()),
        secret=secret,
        secret_hash=hash_secret(secret),
    )


def hash_secret(secret: str) -> str:
    # A plain SHA-256 is enough: the secret has 256 random bits, so there is
    # nothing for a slow password hash to protect against.
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(secret: str) -> str | None:
    """The key id inside a well-formed secret, or None."""
    found = _SECRET.fullmatch(secret)
    return found.group(1) if found else None


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
