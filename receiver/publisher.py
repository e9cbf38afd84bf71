"""Publish accepted requests to Redis Streams, pushing back instead of buffering without limit.

A 200 means the entry is in Redis (``XADD`` returned). A background monitor samples the slowest
consumer group's backlog and Redis memory twice a second; above either limit, or with Redis
unreachable, requests get 503 + Retry-After (the Collector's memory_limiter semantics). Streams are
never trimmed blindly with MAXLEN: the writer trims only what every group has acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from agentstate.receiver.errors import overloaded
from agentstate.semconv import streams as S

log = logging.getLogger(__name__)

STREAM_GROUPS: dict[str, tuple[str, ...]] = {
    S.SPANS_STREAM: S.SPAN_GROUPS,
    S.LOGS_STREAM: (S.WRITER_GROUP,),
}
"""Every stream and the groups created with it, from the start, so no group misses an entry."""


async def ensure_groups(redis: Redis, stream_groups: dict[str, tuple[str, ...]] = STREAM_GROUPS) -> None:
    """Create each stream and its consumer groups (from ID 0) if missing."""
    for stream, groups in stream_groups.items():
        for group in groups:
            try:
                await redis.xgroup_create(stream, group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise


async def backlog(redis: Redis, stream: str) -> int:
    """Entries not yet acknowledged by the slowest group of ``stream`` (0 if it does not exist)."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return 0
    worst = 0
    for g in groups:
        lag = g.get("lag")
        if lag is None:  # unknown after deletions: fall back to the stream length
            lag = await redis.xlen(stream)
        worst = max(worst, int(lag) + int(g.get("pending", 0)))
    return worst


class Publisher:
    """XADDs entries and tracks whether the pipeline can take more."""

    def __init__(self, redis: Redis, high_water_entries: int, max_memory_mb: int, retry_after: int) -> None:
        self._redis = redis
        self._hwm = high_water_entries
        self._max_mem = max_memory_mb * 1024 * 1024
        self._retry_after = retry_after
        self._refusal: str | None = "starting"
        self._depth = 0
        self._since_sample = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create the streams and groups (retrying until Redis answers) and start the monitor."""
        with contextlib.suppress(RedisError, OSError):
            await ensure_groups(self._redis)
            await self._sample()
        self._task = asyncio.create_task(self._monitor(), name="agentstate-backpressure")

    async def stop(self) -> None:
        """Stop the monitor."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sample(self) -> None:
        depth = await backlog(self._redis, S.SPANS_STREAM)
        self._depth, self._since_sample = depth, 0
        if depth >= self._hwm:
            self._refusal = f"ingest queue is full ({depth} entries waiting); retry later"
            return
        mem = int((await self._redis.info("memory")).get("used_memory", 0))
        if mem > self._max_mem:
            self._refusal = f"ingest queue memory is full ({mem // 1048576} MiB); retry later"
            return
        self._refusal = None

    async def _monitor(self) -> None:
        groups_ok = self._refusal is None
        while True:
            await asyncio.sleep(0.5)
            try:
                if not groups_ok:
                    await ensure_groups(self._redis)
                    groups_ok = True
                await self._sample()
            except (RedisError, OSError) as exc:
                self._refusal = f"ingest queue unavailable: {exc.__class__.__name__}"
                groups_ok = False

    @property
    def refusal(self) -> str | None:
        """Why ingest is refused right now, or None when it is accepted."""
        return self._refusal

    async def publish(self, stream: str, project: str, body: bytes, count: int) -> None:
        """Append one request to ``stream``; raise a 503 ``IngestError`` if that is not possible."""
        if self._refusal is not None:
            raise overloaded(self._refusal, self._retry_after)
        if stream == S.SPANS_STREAM and self._depth + self._since_sample >= self._hwm:
            # Between two samples, count our own additions so one replica cannot overshoot.
            raise overloaded(f"ingest queue is full ({self._depth + self._since_sample} entries waiting); "
                             "retry later", self._retry_after)
        fields: dict[bytes, bytes | str | int] = {
            S.FIELD_PROJECT: project,
            S.FIELD_BODY: body,
            S.FIELD_COUNT: count,
            S.FIELD_RECEIVED: time.time_ns(),
        }
        try:
            await self._redis.xadd(stream, fields)  # type: ignore[arg-type]
            self._since_sample += 1
        except (RedisError, OSError) as exc:
            self._refusal = f"ingest queue unavailable: {exc.__class__.__name__}"
            raise overloaded(self._refusal, self._retry_after) from None


class RateLimiter:
    """Per-project token bucket, in process (one receiver replica's share of the limit)."""

    def __init__(self, per_second: float, retry_after: int) -> None:
        self._rate = per_second
        self._burst = per_second * 2
        self._retry_after = retry_after
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, project: str, n: int) -> None:
        """Spend ``n`` tokens of ``project`` or raise a 429 ``IngestError``."""
        if self._rate <= 0:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(project, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens < n:
            self._buckets[project] = (tokens, now)
            wait = max(1, int((n - tokens) / self._rate + 0.999))
            raise overloaded(f"rate limit of {self._rate:g} spans/s exceeded", min(wait, 60), status=429)
        self._buckets[project] = (tokens - n, now)
