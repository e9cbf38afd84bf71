"""An entry that keeps failing must not take the rest of its batch to the DLQ (issue 14, item 1).

The writer now treats conversion errors as permanent for the bad entry alone; this covers any other
failure that is specific to one entry but looks transient (an insert ClickHouse keeps refusing).
Before the fix, the retry pass stopped at the first transient failure, so every entry after it was
redelivered with it until all of them were dead-lettered ("gave up after N deliveries").
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from agentstate.processors.consumer import Entry, StreamConsumer
from tests.conftest import start_valkey

pytestmark = pytest.mark.slow


class Picky(StreamConsumer):
    """Fails (as if transiently) on every batch holding an entry ``r=bad*``; handles the others."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.handled: list[bytes] = []

    async def handle(self, entries: list[Entry]) -> None:
        if any(f[b"r"].startswith(b"bad") for _, f in entries):
            raise RuntimeError("insert refused")
        self.handled.extend(f[b"r"] for _, f in entries)


async def test_entries_that_store_alone_are_never_dead_lettered(tmp_path: Path) -> None:
    v = start_valkey(tmp_path / "valkey")
    redis = Redis.from_url(v.url)
    try:
        values = [b"bad-1", b"ok-1", b"bad-2", *(b"ok-%d" % i for i in range(2, 10))]
        for value in values:
            await redis.xadd("s", {"r": value})
        consumer = Picky(redis, "s", "g", "c1", batch_entries=20, block_ms=50, max_deliveries=4)
        await consumer.start()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            dead = await redis.xrange("s.dlq")
            if len(dead) >= 2 and len(consumer.handled) >= 9:
                break
            await asyncio.sleep(0.2)
        await consumer.stop()
        dead_values = sorted(f[b"r"] for _, f in await redis.xrange("s.dlq"))
        pending = int((await redis.xinfo_groups("s"))[0]["pending"])
    finally:
        await redis.aclose()
        v.server.stop()
    assert dead_values == [b"bad-1", b"bad-2"], f"dead-lettered: {dead_values}"
    assert sorted(consumer.handled) == sorted(v for v in values if v.startswith(b"ok")), "each good entry once"
    assert pending == 0
