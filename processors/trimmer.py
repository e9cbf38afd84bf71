"""Trim streams to what every consumer group has acknowledged.

Redis ``MAXLEN`` evicts by position whether or not groups consumed the entries; instead we compute,
per stream, the oldest entry some group still needs (its oldest pending entry, or the entry after its
last delivered one) and ``XTRIM MINID`` below it. Entries in a DLQ are kept until an operator deals
with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)


def _next_id(entry_id: str) -> str:
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


async def safe_min_id(redis: Redis, stream: str) -> str | None:
    """The lowest entry ID any group of ``stream`` may still need (None: keep everything)."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return None
    if not groups:
        return None
    floor: tuple[int, int] | None = None
    for g in groups:
        name = g["name"]
        if int(g.get("pending", 0)):
            summary = await redis.xpending(stream, name)
            low = summary["min"]
            need = low.decode() if isinstance(low, bytes) else str(low)
        else:
            last = g.get("last-delivered-id", b"0-0")
            need = _next_id(last.decode() if isinstance(last, bytes) else str(last))
        ms, _, seq = need.partition("-")
        key = (int(ms), int(seq or 0))
        floor = key if floor is None or key < floor else floor
    if floor is None or floor == (0, 1):
        return None
    return f"{floor[0]}-{floor[1]}"


async def trim_forever(redis: Redis, streams: list[str], interval: float = 5.0) -> None:
    """Trim ``streams`` every ``interval`` seconds until cancelled."""
    while True:
        for stream in streams:
            with contextlib.suppress(RedisError, OSError):
                min_id = await safe_min_id(redis, stream)
                if min_id is not None:
                    await redis.xtrim(stream, minid=min_id, approximate=False)
        await asyncio.sleep(interval)
