"""Trim streams to what every consumer group has acknowledged.

Redis ``MAXLEN`` evicts by position whether or not groups consumed the entries; instead we compute,
per stream, the oldest entry some group still needs (its oldest pending entry, or the entry after its
last delivered one) and ``XTRIM MINID`` below it. Entries in a DLQ are kept until an operator deals
with them.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)


def _next_id(entry_id: str) -> str:
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def group_floor(pending_min: bytes | str | None, last_delivered: bytes | str) -> tuple[int, int]:
    """The lowest entry ID (as ``(ms, seq)``) one group may still need: its oldest pending entry, or
    the one after its last delivered entry when nothing is pending (``pending_min`` None: also when
    the pending list emptied between ``XINFO GROUPS`` and ``XPENDING``, as acks race the trimmer)."""
    if pending_min is not None:
        need = pending_min.decode() if isinstance(pending_min, bytes) else str(pending_min)
    else:
        need = _next_id(last_delivered.decode() if isinstance(last_delivered, bytes) else str(last_delivered))
    ms, _, seq = need.partition("-")
    return int(ms), int(seq or 0)


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
        low = (await redis.xpending(stream, g["name"]))["min"] if int(g.get("pending", 0)) else None
        key = group_floor(low, g.get("last-delivered-id", b"0-0"))
        floor = key if floor is None or key < floor else floor
    if floor is None or floor == (0, 1):
        return None
    return f"{floor[0]}-{floor[1]}"


async def trim_forever(redis: Redis, streams: list[str], interval: float = 5.0) -> None:
    """Trim ``streams`` every ``interval`` seconds until cancelled."""
    while True:
        for stream in streams:
            try:
                min_id = await safe_min_id(redis, stream)
                if min_id is not None:
                    await redis.xtrim(stream, minid=min_id, approximate=False)
            except (RedisError, OSError):
                pass  # Redis away: trim on the next round
            except Exception:  # a bug here must not end trimming, nor fail the writer's shutdown
                log.exception("trimming %s failed; retrying in %.0f s", stream, interval)
        await asyncio.sleep(interval)
