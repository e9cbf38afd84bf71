"""The cyclic collector is off while a read is judged, back on afterwards, and collects what it left."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from redis.asyncio import Redis

from agentstate.processors.gc_tuning import cyclic_gc_paused
from agentstate.processors.worker_main import Output, SpanProcessor
from agentstate.semconv import streams as S
from tests.conftest import start_valkey
from tests.processors.detectors.test_worker_batch import _request, normalised_entry


@pytest.fixture
def gc_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_paused_then_resumed_and_cycles_collected(gc_on: None) -> None:
    with cyclic_gc_paused():
        assert not gc.isenabled()
        node = _Node()
        ref = weakref.ref(node)
        del node
        assert ref() is not None  # a cycle: reference counting cannot free it
    assert gc.isenabled()
    gc.collect()
    assert ref() is None


def test_nested_blocks_resume_only_when_the_last_ends(gc_on: None) -> None:
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(gc_on: None) -> None:
    gc.disable()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_resumed_when_the_block_raises(gc_on: None) -> None:
    with pytest.raises(ValueError, match="boom"), cyclic_gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


async def test_security_and_cost_reads_run_with_the_collector_paused(tmp_path: Path, gc_on: None) -> None:
    v = start_valkey(tmp_path / "valkey")
    redis = Redis.from_url(v.url)
    seen: list[bool] = []

    async def process(table: pa.Table) -> Output:
        seen.append(gc.isenabled())
        return []

    try:
        await redis.xadd(
            S.NORMALIZED_STREAM, {S.FIELD_PROJECT: b"p", S.FIELD_BODY: normalised_entry("p", _request(["hi"]))}
        )
        async with SpanProcessor(redis, S.COST_GROUP, "c1", process, block_ms=50):
            for _ in range(200):
                if seen:
                    break
                await asyncio.sleep(0.05)
        assert seen == [False]
        assert gc.isenabled()
    finally:
        await redis.aclose()
        v.server.stop()
