"""Cost rows published as Arrow (the cost worker) and as JSON (older workers, still in flight after an
upgrade) are stored alike by the writer, and a bad Arrow entry is dead-lettered alone."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from agentstate.processors import arrow_rows, span_batch
from agentstate.processors.cost_batch import cost_table, for_insert
from agentstate.processors.output_tables import COST_COLUMNS
from agentstate.processors.pricing import PriceBook, SpanRef
from agentstate.processors.writer import RowsWriter
from agentstate.semconv import streams as S
from agentstate.semconv.tables import COST_TABLE
from tests.conftest import Platform, start_valkey
from tests.processors.test_cost_batch import _WHEN, _spans


def _table(project: str, first: int, count: int) -> Any:
    spans = _spans()[first : first + count]
    places = [(SpanRef(project, f"{first + i:032x}", f"{first + i:016x}", _WHEN + i * 1001, "svc"), 5)
              for i in range(len(spans))]  # fmt: skip
    table = cost_table(span_batch.model_calls(span_batch.build(places, spans)), PriceBook(), 7)
    assert table is not None
    return table


def test_loads_refuses_garbage_and_missing_columns() -> None:
    table = for_insert(_table("p", 0, 3))
    assert arrow_rows.loads(arrow_rows.dumps(table), COST_COLUMNS).column_names == list(COST_COLUMNS)
    with pytest.raises(ValueError, match="lack the columns"):
        arrow_rows.loads(arrow_rows.dumps(table.drop_columns(["CostUsd"])), COST_COLUMNS)
    with pytest.raises(ValueError):
        arrow_rows.loads(b"\xff\xfe not arrow", COST_COLUMNS)


@pytest.mark.slow
async def test_arrow_and_json_cost_rows_are_stored_alike(platform: Platform, tmp_path: Path) -> None:
    project = f"arrow-{uuid.uuid4().hex[:8]}"
    half = len(_spans()) // 2
    as_json, as_arrow = _table(project, 0, half), _table(project, half, len(_spans()) - half)
    v = start_valkey(tmp_path / "valkey")
    redis = Redis.from_url(v.url)
    try:
        await redis.xadd(S.COSTS_STREAM, {S.FIELD_ROWS: orjson.dumps(as_json.to_pylist())})
        await redis.xadd(S.COSTS_STREAM, {S.FIELD_ARROW: arrow_rows.dumps(for_insert(as_arrow))})
        bad = await redis.xadd(S.COSTS_STREAM, {S.FIELD_ARROW: b"\xff\xfe not arrow"})
        table = f"{platform.database}.{COST_TABLE}"
        writer = RowsWriter(redis, platform.client, S.COSTS_STREAM, table, COST_COLUMNS, "t", block_ms=50)
        async with writer:
            for _ in range(400):
                dead: Any = await redis.xrange(S.dead_letter(S.COSTS_STREAM))
                groups: Any = await redis.xinfo_groups(S.COSTS_STREAM)
                if dead and groups[0]["pending"] == 0 and groups[0]["lag"] == 0:
                    break
                await asyncio.sleep(0.05)
        assert [f[b"id"] for _, f in dead] == [bad]
        assert "bad row payload" in dead[0][1][b"reason"].decode()
    finally:
        await redis.aclose()
        v.server.stop()
    stored = platform.query(
        f"SELECT {', '.join(COST_COLUMNS)} FROM {table} WHERE ProjectId = {{p:String}} ORDER BY SpanId", {"p": project}
    )
    want = [*as_json.to_pylist(), *as_arrow.to_pylist()]
    assert len(stored) == len(want) == len(_spans())
    for row, expected in zip(stored, want, strict=True):
        got = dict(zip(COST_COLUMNS, row, strict=True))
        ts = got.pop("Timestamp")
        assert int(ts.timestamp() * 1e6) * 1000 == expected.pop("Timestamp") // 1000 * 1000  # µs: datetime's grain
        for k, value in expected.items():
            assert got[k] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), k
