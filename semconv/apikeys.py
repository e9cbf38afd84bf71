"""Ingest API key format and hashing, shared by the receiver (verify) and the API (issue, revoke).

Keys look like ``as_<prefix8>_<secret32>``. Only a keyed hash (HMAC-SHA256 with a server pepper) is
stored; high-entropy keys do not need a slow KDF, and a fast hash keeps per-request lookups cheap
(the Langfuse ``fastHashedSecretKey`` approach). The prefix is kept for display.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

KEY_PREFIX: Final = "as_"
"""Every AgentState ingest key starts with this, so secret scanners can recognise it."""


def generate_key() -> str:
    """Return a new random ingest key (shown once to the user, never stored)."""
    return f"{KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(24)}"


def hash_key(key: str, pepper: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``key`` under the server ``pepper``."""
    return hmac.new(pepper, key.encode("utf-8"), hashlib.sha256).hexdigest()


def display_key(key: str) -> str:
    """Return the masked form shown in listings, e.g. ``as_1a2b3c4d_…wxyz``."""
    head = key.split("_", 2)
    prefix = "_".join(head[:2]) if len(head) == 3 else key[:6]
    return f"{prefix}_…{key[-4:]}"
