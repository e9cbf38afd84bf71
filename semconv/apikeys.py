"""Ingest API key format and hashing, shared by the receiver (verify) and the API (issue, revoke).

Keys look like ``as_<prefix8>_<secret32>``. Only a keyed hash (HMAC-SHA256 with a server pepper) is
stored; high-entropy keys do not need a slow KDF, and a fast hash keeps per-request lookups cheap
(the Langfuse ``fastHashedSecretKey`` approach). The prefix is kept for display.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Final, overload

from agentstate.semconv.streams import API_KEYS_HASH

if TYPE_CHECKING:  # the registry helpers take either Redis client; semconv itself needs no Redis
    from redis import Redis
    from redis.asyncio import Redis as AsyncRedis

KEY_PREFIX: Final = "as_"
"""Every AgentState ingest key starts with this, so secret scanners can recognise it."""


def generate_key() -> str:
    """Return a new random ingest key (shown once to the user, never stored)."""
    return f"{KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(24)}"


def hash_key(key: str, pepper: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``key`` under the server ``pepper``."""
    return hmac.new(pepper, key.encode("utf-8"), hashlib.sha256).hexdigest()


def key_prefix(key: str) -> str:
    """Return the public head of a key, e.g. ``as_1a2b3c4d`` (kept in the store for display)."""
    head = key.split("_", 2)
    return "_".join(head[:2]) if len(head) == 3 else key[:6]


def display_key(key: str) -> str:
    """Return the masked form shown in listings, e.g. ``as_1a2b3c4d_…wxyz``."""
    return f"{key_prefix(key)}_…{key[-4:]}"


# The key registry: the Redis hash API_KEYS_HASH of key hash -> project ID. The API writes it (keys
# created, revoked, resynced from its store at start), ``agentstate up`` adds its bootstrap key, and the
# receiver reads it. These two functions are the only writers.


@overload
def register_keys(redis: AsyncRedis, projects: Mapping[str, str]) -> Awaitable[int]: ...
@overload
def register_keys(redis: Redis, projects: Mapping[str, str]) -> int: ...
def register_keys(redis: Any, projects: Mapping[str, str]) -> Any:
    """Register key hashes with their projects (``{hash_key(...): project}``, not empty).

    Returns what the client's ``HSET`` returns: an awaitable for an asyncio client.
    """
    return redis.hset(API_KEYS_HASH, mapping=dict(projects))


@overload
def revoke_keys(redis: AsyncRedis, hashes: Collection[str]) -> Awaitable[int]: ...
@overload
def revoke_keys(redis: Redis, hashes: Collection[str]) -> int: ...
def revoke_keys(redis: Any, hashes: Collection[str]) -> Any:
    """Drop key hashes (not empty) from the registry; receivers refuse them once their cache expires."""
    return redis.hdel(API_KEYS_HASH, *hashes)
