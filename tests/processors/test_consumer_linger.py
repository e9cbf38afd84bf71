"""Lingering consumers gather small entries into one write, and still acknowledge everything.

No step depends on how long anything takes: the linger is far longer than the test, so only a full
batch can end it, and each step waits on Redis state (delivered, acknowledged) rather than on a clock.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from agentstate.processors.consumer import Entry, StreamConsumer
from tests.conftest import Valkey

BATCH = 5
LINGER_FOREVER_MS = 600_000
"""Longer than any run of this test: a linger that ends did so because the batch filled."""


class Recorder(StreamConsumer):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.batches: list[int] = []

    async def handle(self, entries: list[Entry]) -> None:
        self.batches.append(len(entries))


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll Redis state until ``check`` holds (the bound only stops a broken consumer hanging the suite)."""
    for _ in range(600):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never {what}")


async def _run(valkey: Valkey, linger_ms: int) -> tuple[list[int], int]:
    redis = Redis.from_url(valkey.url)
    stream = f"linger-{uuid.uuid4().hex}"

    async def delivered() -> int:
        groups = await redis.xinfo_groups(stream)
        return int(groups[0]["entries-read"] or 0) if groups else 0

    async def pending() -> int:
        return int((await redis.xpending(stream, "g"))["pending"])

    try:
        await redis.xadd(stream, {"r": "first"})
        consumer = Recorder(redis, stream, "g", "c1", batch_entries=BATCH, block_ms=100, linger_ms=linger_ms)
        async with consumer:
            await _until(lambda: _equals(delivered(), 1), "read the first entry")
            async with redis.pipeline(transaction=True) as multi:  # the rest arrives at once
                for i in range(BATCH - 1):
                    multi.xadd(stream, {"r": str(i)})
                await multi.execute()
            await _until(lambda: _equals(delivered(), BATCH), "read every entry")
            await _until(lambda: _equals(pending(), 0), "acknowledged every entry")
        return consumer.batches, await pending()
    finally:
        await redis.delete(stream)
        await redis.aclose()


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


@pytest.mark.parametrize(
    ("linger_ms", "batches"),
    [
        pytest.param(LINGER_FOREVER_MS, [BATCH], id="lingering-gathers-one-batch"),
        pytest.param(0, [1, BATCH - 1], id="no-linger-writes-at-once"),
    ],
)
async def test_linger_gathers_entries_and_acks_them(valkey: Valkey, linger_ms: int, batches: list[int]) -> None:
    written, pending = await _run(valkey, linger_ms)
    assert written == batches
    assert pending == 0
