"""Lingering consumers gather small entries into one write, and still acknowledge everything."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from agentstate.processors.consumer import Entry, StreamConsumer
from tests.conftest import Valkey


class Recorder(StreamConsumer):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.batches: list[int] = []

    async def handle(self, entries: list[Entry]) -> None:
        self.batches.append(len(entries))


async def _run(valkey: Valkey, linger_ms: int) -> tuple[list[int], int]:
    redis = Redis.from_url(valkey.url)
    stream = f"linger-{uuid.uuid4().hex}"
    try:
        await redis.xadd(stream, {"r": "1"})
        consumer = Recorder(redis, stream, "g", "c1", batch_entries=10, block_ms=100, linger_ms=linger_ms)
        async with consumer:
            await asyncio.sleep(0.3)  # the first entry has been read by now
            for i in range(4):
                await redis.xadd(stream, {"r": str(i)})
            await asyncio.sleep(1.5)
        pending = (await redis.xpending(stream, "g"))["pending"]
        return consumer.batches, int(pending)
    finally:
        await redis.delete(stream)
        await redis.aclose()


@pytest.mark.parametrize(
    ("linger_ms", "one_batch"),
    [
        pytest.param(1200, True, id="lingering-gathers-one-batch"),
        pytest.param(0, False, id="no-linger-writes-at-once"),
    ],
)
async def test_linger_gathers_entries_and_acks_them(valkey: Valkey, linger_ms: int, one_batch: bool) -> None:
    batches, pending = await _run(valkey, linger_ms)
    assert sum(batches) == 5
    assert (batches == [5]) is one_batch
    assert pending == 0
