"""Stopping a consumer when Redis has gone away: prompt, and nothing acknowledged that was not handled."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from redis.asyncio import Redis

from agentstate.processors.consumer import Entry, StreamConsumer
from tests.conftest import start_valkey


class Slow(StreamConsumer):
    """Handles an entry in 0.5 s, so a stop can arrive while entries are still unread."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.handled = 0

    async def handle(self, entries: list[Entry]) -> None:
        await asyncio.sleep(0.5)
        self.handled += len(entries)


async def test_stop_with_redis_gone_returns_at_once_and_leaves_the_rest_pending(tmp_path: Path) -> None:
    v = start_valkey(tmp_path / "valkey", aof=True)
    redis = Redis.from_url(v.url, socket_timeout=2, socket_connect_timeout=1)
    try:
        for i in range(20):
            await redis.xadd("s", {"r": str(i)})
        consumer = Slow(redis, "s", "g", "c1", batch_entries=1, block_ms=100, drain_seconds=30)
        await consumer.start()
        await asyncio.sleep(0.8)  # one or two entries handled, the rest unread
        v.server.stop()  # Redis goes away (Ctrl-C reaching it first, a group SIGTERM …)
        started = time.monotonic()
        await consumer.stop()
        took = time.monotonic() - started
    finally:
        await redis.aclose()
    assert took < 5, f"stop took {took:.1f} s with a 30 s drain window"
    assert consumer.counters["redis_errors"] >= 1
    assert consumer.handled < 20
    # Restarted on the same AOF: every entry not acknowledged is still there to be processed.
    v2 = start_valkey(tmp_path / "valkey", aof=True)
    redis = Redis.from_url(v2.url)
    try:
        info = await redis.xinfo_groups("s")
        pending, lag = int(info[0]["pending"]), int(info[0]["lag"] or 0)
        acked = 20 - pending - lag
        assert acked <= consumer.handled and pending + lag >= 20 - consumer.handled
    finally:
        await redis.aclose()
        v2.server.stop()
