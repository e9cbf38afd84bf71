"""Counters in Redis, so limits hold across API replicas: per-IP request rate and login lockout."""

from __future__ import annotations

import hashlib
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_RATE_PREFIX = "agentstate:api:rate:"
_FAIL_PREFIX = "agentstate:api:loginfail:"


class RateLimiter:
    """Fixed one-minute windows per client IP. Fails open (logged) if Redis is unreachable."""

    def __init__(self, redis: Redis, per_minute: int) -> None:
        self._redis = redis
        self._limit = per_minute

    async def hit(self, client: str) -> int:
        """Count one request; return 0 if allowed, else the seconds until the window ends."""
        if self._limit <= 0:
            return 0
        now = time.time()
        window = int(now // 60)
        key = f"{_RATE_PREFIX}{client}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 61)
                count, _ = await pipe.execute()
        except RedisError:
            log.warning("rate limiter unavailable (Redis error); allowing request", exc_info=True)
            return 0
        if int(count) <= self._limit:
            return 0
        return max(1, int((window + 1) * 60 - now) + 1)


class LoginGuard:
    """At most ``max_failures`` failed logins per email per ``window`` seconds, then a lock for the window."""

    def __init__(self, redis: Redis, max_failures: int, window_seconds: int) -> None:
        self._redis = redis
        self._max = max_failures
        self._window = window_seconds

    @staticmethod
    def _key(email: str) -> str:
        # The email is hashed so the keyspace does not list addresses.
        return _FAIL_PREFIX + hashlib.sha256(email.strip().lower().encode()).hexdigest()

    async def locked_for(self, email: str) -> int:
        """Seconds the email stays locked (0 = not locked)."""
        key = self._key(email)
        count = await self._redis.get(key)
        if count is None or int(count) < self._max:
            return 0
        ttl = int(await self._redis.ttl(key))
        return ttl if ttl > 0 else self._window

    async def failed(self, email: str) -> int:
        """Record a failure; return the lock duration if this failure locks the email, else 0."""
        key = self._key(email)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self._window, nx=True)
            count, _ = await pipe.execute()
        if int(count) >= self._max:
            # The lock lasts a whole window from the failure that triggered it.
            await self._redis.expire(key, self._window)
            return self._window
        return 0

    async def succeeded(self, email: str) -> None:
        """Forget past failures after a successful login."""
        await self._redis.delete(self._key(email))
