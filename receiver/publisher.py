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
from agentstate.receiver.fairness import BacklogShares, ContentionLimiter, EntryId, first_waiting
from agentstate.semconv import streams as S

log = logging.getLogger(__name__)

STREAM_GROUPS: dict[str, tuple[str, ...]] = {
    S.SPANS_STREAM: S.SPAN_GROUPS,
    S.NORMALIZED_STREAM: S.NORMALIZED_GROUPS,
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


async def first_unfinished(redis: Redis, stream: str) -> EntryId | None:
    """The oldest entry of ``stream`` some group has not finished (None: no stream or no group)."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return None
    cuts = []
    for g in groups:
        oldest = None
        if int(g.get("pending", 0)):
            summary = await redis.xpending(stream, g["name"])
            oldest = summary.get("min")
        cuts.append(first_waiting(g["last-delivered-id"], oldest))
    return min(cuts) if cuts else None


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


def memory_limit(configured: int, maxmemory: int) -> int:
    """Redis ``used_memory`` (bytes) above which ingest is refused: ``configured``, and never more
    than half of Redis' own ``maxmemory`` when it has one.

    The other half is the writer's: it publishes each stored entry's normalised batch (~40% of the
    raw entry) before the raw entry can be acknowledged and trimmed. Were ingest admitted up to
    ``maxmemory``, Redis would refuse those ``XADD``s (``noeviction``), nothing could be
    acknowledged, nothing trimmed: the pipeline would stop for good with a full queue.
    """
    return min(configured, maxmemory // 2) if maxmemory > 0 else configured


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
        self.shares = BacklogShares(max_tracked=4 * high_water_entries)

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
        # One normalised entry per stored ingest entry: the slowest of the writer (ingest) and
        # the security and cost groups (normalised) is the pipeline's backlog, in the same unit.
        depth = max(await backlog(self._redis, S.SPANS_STREAM), await backlog(self._redis, S.NORMALIZED_STREAM))
        self._depth, self._since_sample = depth, 0
        self.shares.finished_before(await first_unfinished(self._redis, S.SPANS_STREAM))
        if depth >= 2 * self._hwm:
            self._refusal = f"ingest queue is full ({depth} entries waiting); retry later"
            return
        info = await self._redis.info("memory")
        mem, limit = int(info.get("used_memory", 0)), memory_limit(self._max_mem, int(info.get("maxmemory", 0)))
        if mem > limit:
            self._refusal = f"ingest queue memory is full ({mem // 1048576} of {limit // 1048576} MiB); retry later"
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
        if stream == S.SPANS_STREAM:
            # Between two samples, count our own additions so one replica cannot overshoot.
            # Per project, a fair share of the high-water mark (fairness.py); in all, at most twice it.
            total = self._depth + self._since_sample
            if total >= 2 * self._hwm:
                raise overloaded(f"ingest queue is full ({total} entries waiting); retry later", self._retry_after)
            unfair = self.shares.refusal(project, total, self._hwm)
            if unfair is not None:
                raise overloaded(unfair, self._retry_after)
        fields: dict[bytes, bytes | memoryview | str | int] = {
            S.FIELD_PROJECT: project,
            S.FIELD_BODY: S.unpacked(body),
            S.FIELD_COUNT: count,
            S.FIELD_RECEIVED: time.time_ns(),
        }
        spans = stream == S.SPANS_STREAM
        if spans:  # counted before the await, so concurrent requests cannot all pass the checks above
            self._since_sample += 1
            self.shares.reserve(project)
        try:
            entry_id = await self._redis.xadd(stream, fields)  # type: ignore[arg-type]
        except BaseException as exc:  # cancellation too: a reservation must never leak
            if spans:
                self._since_sample = max(0, self._since_sample - 1)
                self.shares.release(project)
            if not isinstance(exc, RedisError | OSError):
                raise
            self._refusal = f"ingest queue unavailable: {exc.__class__.__name__}"
            raise overloaded(self._refusal, self._retry_after) from None
        if spans:
            self.shares.published(entry_id, project)


class RateLimiter:
    """Per-project span rate limits, in process (one receiver replica's share of each limit).

    ``per_second`` applies at all times (0 = none); ``shared_per_second`` only while another project
    is sending too (0 = none), so a single tenant cannot take the pipeline from the others.
    """

    def __init__(self, per_second: float, retry_after: int, shared_per_second: float = 0.0) -> None:
        self._limiter = ContentionLimiter(per_second, shared_per_second)
        self._retry_after = retry_after

    def take(self, project: str, n: int) -> None:
        """Spend ``n`` tokens of ``project`` or raise a 429 ``IngestError``."""
        wait, rate = self._limiter.wait_needed(project, n)
        if wait > 0:
            raise overloaded(
                f"rate limit of {rate:g} spans/s per project exceeded", min(60, max(1, int(wait + 0.999))), status=429
            )
