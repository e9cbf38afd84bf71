"""Ingest-key authentication: key → project, from the Redis key registry, cached briefly.

The registry (``agentstate:apikeys``, hash of key-HMAC → project ID) is written by the API when a key
is created and emptied of a key when it is revoked, through the one pair of writers
``agentstate.semconv.apikeys.register_keys`` / ``revoke_keys``. Hits *and* misses are cached for at
most ``key_cache_seconds`` (≤ 60 s), which bounds how long a revoked key keeps working here.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from agentstate.receiver.errors import unauthorized
from agentstate.semconv.apikeys import hash_key
from agentstate.semconv.streams import API_KEYS_HASH

_MAX_CACHED = 10_000


def extract_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """Return the key from ``Authorization: Bearer <key>`` or ``x-api-key``, if any."""
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


class KeyResolver:
    """Resolves ingest keys to project IDs."""

    def __init__(self, redis: Redis, pepper: bytes, cache_seconds: float) -> None:
        self._redis = redis
        self._pepper = pepper
        self._ttl = cache_seconds
        self._cache: dict[str, tuple[str | None, float]] = {}

    async def project_for(self, key: str | None) -> str:
        """Return the project of ``key`` or raise a 401 ``IngestError``."""
        if not key:
            raise unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'x-api-key'")
        digest = hash_key(key, self._pepper)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            project = cached[0]
        else:
            raw = await self._redis.hget(API_KEYS_HASH, digest)
            project = raw.decode() if isinstance(raw, bytes) else raw
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[digest] = (project, now + self._ttl)
        if not project:
            raise unauthorized("invalid or revoked API key")
        return project
