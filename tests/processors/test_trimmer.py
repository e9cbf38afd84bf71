"""The trimmer keeps every entry some group may still need, and survives acks racing it."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from agentstate.processors.trimmer import group_floor, safe_min_id
from tests.conftest import start_valkey


@pytest.mark.parametrize(
    ("pending_min", "last_delivered", "floor"),
    [
        pytest.param(b"5-3", b"9-0", (5, 3), id="oldest-pending"),
        pytest.param("7-0", "9-2", (7, 0), id="str-ids"),
        pytest.param(None, b"9-2", (9, 3), id="nothing-pending: after the last delivered"),
        pytest.param(None, b"0-0", (0, 1), id="never-read"),
        # XINFO said pending > 0, then every entry was acked before XPENDING: its min is None
        pytest.param(None, b"12-0", (12, 1), id="acked-between-xinfo-and-xpending"),
    ],
)
def test_group_floor(pending_min: bytes | str | None, last_delivered: bytes | str, floor: tuple[int, int]) -> None:
    assert group_floor(pending_min, last_delivered) == floor


async def test_safe_min_id_follows_the_slowest_group(tmp_path: Path) -> None:
    v = start_valkey(tmp_path / "valkey")
    redis = Redis.from_url(v.url)
    try:
        ids = [await redis.xadd("s", {"k": str(i)}) for i in range(4)]
        await redis.xgroup_create("s", "fast", id="0")
        await redis.xgroup_create("s", "slow", id="0")
        assert await safe_min_id(redis, "s") is None  # nobody read anything: keep everything
        fast = await redis.xreadgroup("fast", "c", {"s": ">"})
        await redis.xack("s", "fast", *[eid for eid, _ in fast[0][1]])
        await redis.xreadgroup("slow", "c", {"s": ">"}, count=2)  # two pending, unacked
        assert await safe_min_id(redis, "s") == ids[0].decode()
        await redis.xack("s", "slow", ids[0], ids[1])
        ms, seq = ids[1].decode().split("-")
        assert await safe_min_id(redis, "s") == f"{ms}-{int(seq) + 1}"
    finally:
        await redis.aclose()
        v.server.stop()
