"""The per-trace summary tables: exact under redelivery, backfilled when created over existing spans."""

from __future__ import annotations

import asyncio
import time

from agentstate.api import trace_list
from agentstate.api.chstore import ClickHouse
from agentstate.processors import summary_schema
from agentstate.processors.clickhouse import migrate
from tests.conftest import Platform

_INSERT = """INSERT INTO `{db}`.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, ServiceName,
    Duration, StatusCode, ProjectId, SpanAttributes) VALUES
    (fromUnixTimestamp64Nano({t:Int64}), 't1', 's1', '', 'run', 'svc', 9, 'Ok', 'p', map('session.id', 'x')),
    (fromUnixTimestamp64Nano({t:Int64}), 't1', 's2', 's1', 'chat', 'svc', 5, 'Error', 'p',
     map('gen_ai.request.model', 'm', 'gen_ai.usage.input_tokens', '7', 'gen_ai.usage.output_tokens', '3'))"""


def test_backfill_and_redelivery_keep_summaries_exact(platform: Platform) -> None:
    db = "summary_test"
    migrate(platform.client, db)
    now = time.time_ns()
    platform.client.command(_INSERT.replace("{db}", db), parameters={"t": now})  # before: backfilled
    summary_schema.ensure(platform.client, db)
    platform.client.command(_INSERT.replace("{db}", db), parameters={"t": now})  # redelivered: through the views
    summary_schema.ensure(platform.client, db)  # idempotent, no second backfill
    ch = ClickHouse(platform.client, db)
    assert asyncio.run(trace_list.has_summaries(ch))
    [s] = asyncio.run(trace_list.summarise(ch, [("t1", "p", now, 9, "run", "svc")], 3_600_000_000_000, True))
    assert (s.span_count, s.input_tokens, s.output_tokens, s.error) == (2, 7, 3, True)
    assert (s.session_id, s.models) == ("x", ["m"])
    facets = platform.query(f"SELECT DISTINCT Facet, Value FROM `{db}`.trace_facets ORDER BY Facet")
    assert ("status", "error") in facets and ("service", "svc") in facets
    platform.client.command(f"DROP DATABASE `{db}`")
