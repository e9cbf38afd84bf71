"""Bad entries on ``spans.normalized`` are dead-lettered with their reason; the good ones flow."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from agentstate.processors.detectors.budgets import BudgetTracker
from agentstate.processors.pricing import PriceBook
from agentstate.processors.worker_main import SpanProcessor, cost_read
from agentstate.semconv import streams as S
from tests.conftest import start_valkey
from tests.processors.detectors.test_worker_batch import _request, normalised_entry


@pytest.mark.parametrize("content", [pytest.param(True, id="whole"), pytest.param(False, id="without-content")])
async def test_garbage_truncated_and_bodyless_entries_go_to_the_dlq(tmp_path: Path, content: bool) -> None:
    v = start_valkey(tmp_path / "valkey")
    redis = Redis.from_url(v.url)
    try:
        good = normalised_entry("proj", _request(["What is the capital of France?"]))
        poison = {
            "garbage": {S.FIELD_PROJECT: b"proj", S.FIELD_BODY: b"\xff\xfe not arrow"},
            "truncated": {S.FIELD_PROJECT: b"proj", S.FIELD_BODY: good[: len(good) // 2]},
            "bodyless": {S.FIELD_PROJECT: b"proj"},
        }
        ids = {name: await redis.xadd(S.NORMALIZED_STREAM, fields) for name, fields in poison.items()}  # type: ignore[arg-type]
        await redis.xadd(S.NORMALIZED_STREAM, {S.FIELD_PROJECT: b"proj", S.FIELD_BODY: good})
        worker = SpanProcessor(redis, S.COST_GROUP, "c1", cost_read(PriceBook(), BudgetTracker(())),
                               content=content, block_ms=50)  # fmt: skip
        async with worker:
            for _ in range(200):
                dead: Any = await redis.xrange(S.dead_letter(S.NORMALIZED_STREAM))
                costs: Any = await redis.xrange(S.COSTS_STREAM)
                if len(dead) == 3 and costs:
                    break
                await asyncio.sleep(0.05)
        reasons = {f[b"id"]: f[b"reason"].decode() for _, f in dead}
        assert set(reasons) == set(ids.values())
        assert "undecodable normalised batch" in reasons[ids["garbage"]]
        assert "undecodable normalised batch" in reasons[ids["truncated"]]
        assert "lacks the body field" in reasons[ids["bodyless"]]
        assert len(costs) == 1  # the good entry's chat span was priced
        groups: Any = await redis.xinfo_groups(S.NORMALIZED_STREAM)
        assert [(g["pending"], g["lag"]) for g in groups] == [(0, 0)]
    finally:
        await redis.aclose()
        v.server.stop()
