"""Counters in Redis, so limits hold across API replicas: per-IP request rate and failed-login limits.

Failed logins (and wrong current passwords on ``PATCH /users/me``) are limited three ways, following
the OWASP Authentication and Credential Stuffing cheat sheets. A hard per-account lock is what an
attacker wants (five anonymous guesses would lock the real admin out), so the per-account protection
only slows down the sources that fail:

* **per (account, client IP)**: the first ``max_failures - 1`` failures are free, then each failure
  makes that IP wait for that account, 30 s doubling per failure up to the window (exponential
  back-off). A success from the IP clears its count. Another IP is not affected.
* **per client IP** (password spraying, credential stuffing): ``ip_max_failures`` failed logins
  per window, over any accounts, then the IP gets 429 for a whole window, whatever it tries.
* **per account** (a guessing attack spread over many IPs): past ``account_max_failures`` failures
  per window, every IP that has already failed on the account waits out the window; an IP that
  has not failed on it still gets in, so the owner is never locked out from a clean address.

The client IP is the socket peer (the API does not trust ``X-Forwarded-For``), so behind a reverse
proxy every client shares the proxy's per-IP budget. Counters live in Redis, so every replica sees
the same ones; a Redis error fails the request rather than the limit.
"""

from __future__ import annotations

import hashlib
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_RATE_PREFIX = "agentstate:api:rate:"
_FAIL_PREFIX = "agentstate:api:loginfail:"

BACKOFF_BASE_SECONDS = 30
"""The first back-off wait; each further failure of the same (account, IP) doubles it."""


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


def backoff_seconds(failures: int, free: int, base: int, cap: int) -> int:
    """The wait after ``failures`` failures of one (account, IP): 0 for the first ``free``, then doubling.

    ``base`` after failure ``free + 1``, ``2 * base`` after the next, and so on, never above ``cap``.
    """
    if failures <= free:
        return 0
    doublings = min(failures - free - 1, 32)  # bounded: 2**32 * base is far past any cap
    return min(cap, base << doublings)


def _digest(*parts: str) -> str:
    # Hashed, so the keyspace does not list email addresses or client IPs.
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class LoginGuard:
    """Failed-login limits per client IP, per (account, IP) with back-off, and per account (module doc)."""

    def __init__(
        self,
        redis: Redis,
        max_failures: int,
        window_seconds: int,
        ip_max_failures: int = 30,
        account_max_failures: int = 10,
        backoff_base: int = BACKOFF_BASE_SECONDS,
    ) -> None:
        self._redis = redis
        self._free = max_failures - 1
        self._window = window_seconds
        self._ip_max = ip_max_failures
        self._account_max = account_max_failures
        self._base = backoff_base

    def _keys(self, email: str, ip: str) -> tuple[str, str, str, str]:
        account = email.strip().lower()
        return (
            f"{_FAIL_PREFIX}ip:{_digest(ip)}",
            f"{_FAIL_PREFIX}acct:{_digest(account)}",
            f"{_FAIL_PREFIX}pair:{_digest(account, ip)}",
            f"{_FAIL_PREFIX}wait:{_digest(account, ip)}",
        )

    async def wait_for(self, email: str, ip: str) -> int:
        """Seconds ``ip`` must wait before trying ``email`` again (0 = it may try now)."""
        ip_key, acct_key, pair_key, wait_key = self._keys(email, ip)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(ip_key)
            pipe.ttl(ip_key)
            pipe.get(acct_key)
            pipe.ttl(acct_key)
            pipe.get(pair_key)
            pipe.ttl(wait_key)
            ip_count, ip_ttl, acct_count, acct_ttl, pair_count, wait_ttl = await pipe.execute()
        waits = [int(wait_ttl)]
        if int(ip_count or 0) >= self._ip_max:
            waits.append(self._remaining(ip_ttl))
        if int(acct_count or 0) >= self._account_max and int(pair_count or 0) > 0:
            waits.append(self._remaining(acct_ttl))
        return max(0, *waits)

    def _remaining(self, ttl: object) -> int:
        seconds = int(str(ttl))
        return seconds if seconds > 0 else self._window

    async def failed(self, email: str, ip: str) -> int:
        """Record a failure of ``ip`` on ``email``; return the wait it now faces (0 = none yet)."""
        ip_key, acct_key, pair_key, wait_key = self._keys(email, ip)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(ip_key)
            pipe.expire(ip_key, self._window, nx=True)
            pipe.incr(acct_key)
            pipe.expire(acct_key, self._window, nx=True)
            pipe.incr(pair_key)
            pipe.expire(pair_key, self._window)  # the back-off history lasts a window past the last failure
            ip_count, _, acct_count, _, pair_count, _ = await pipe.execute()
        async with self._redis.pipeline(transaction=True) as pipe:
            # Reaching a limit starts a whole window from the failure that reached it. (A blocked IP is
            # refused before its password is checked, so its count stops here.)
            if int(ip_count) >= self._ip_max:
                pipe.expire(ip_key, self._window)
            if int(acct_count) >= self._account_max:
                pipe.expire(acct_key, self._window)  # protection lasts while the attack goes on
            backoff = backoff_seconds(int(pair_count), self._free, self._base, self._window)
            if backoff:
                pipe.set(wait_key, b"1", ex=backoff)
            await pipe.execute()
        return await self.wait_for(email, ip)

    async def succeeded(self, email: str, ip: str) -> None:
        """Forget the failures of ``ip`` on ``email`` (per-IP and per-account counts stay)."""
        _, _, pair_key, wait_key = self._keys(email, ip)
        await self._redis.delete(pair_key, wait_key)
