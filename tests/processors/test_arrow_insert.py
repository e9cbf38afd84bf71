"""The writer's Arrow insert on embedded chDB (``clickhouse.arrow_insert``: the table read in place by
chDB's ``Python()`` table function) stores exactly what clickhouse-connect's ``insert_arrow`` stores,
and a replay with the same token is dropped."""

from __future__ import annotations

import time
import uuid

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.processors.clickhouse import arrow_insert, migrate
from agentstate.processors.writer import normalised_batches
from bench.payloads import build_template, stamp
from tests.conftest import Platform
from tests.processors.golden import otlp_build
from tests.processors.golden.spans import all_cases


def _with_events_and_links() -> bytes:
    req = ExportTraceServiceRequest()
    s = req.resource_spans.add().scope_spans.add().spans.add()
    s.trace_id, s.span_id, s.name = bytes(range(16)), bytes(range(8)), "tool"
    s.start_time_unix_nano, s.end_time_unix_nano = 1_764_000_000_000_000_000, 1_764_000_000_100_000_000
    for i in range(2):
        event = s.events.add()
        event.name, event.time_unix_nano = f"gen_ai.choice.{i}", s.start_time_unix_nano + i
        kv = event.attributes.add()
        kv.key, kv.value.int_value = "index", i
    link = s.links.add()
    link.trace_id, link.span_id, link.trace_state = bytes(16 * [7]), bytes(8 * [7]), "k=v"
    kv = link.attributes.add()
    kv.key, kv.value.bool_value = "sampled", True
    return req.SerializeToString()


def test_in_place_insert_stores_what_insert_arrow_stores_and_a_replay_is_dropped(platform: Platform) -> None:
    client, url = platform.client, platform.writer.settings.clickhouse_url
    database = f"ins_{uuid.uuid4().hex[:8]}"
    migrate(client, database)
    client.command(f"CREATE TABLE {database}.by_client AS {database}.otel_traces")
    try:
        # every golden shape (events, links, arrays, every dialect) and the bench's GenAI traces
        bodies = [otlp_build.request(all_cases(), time.time_ns()), stamp(build_template(100), 3),
                  _with_events_and_links()]  # fmt: skip
        table, _ = normalised_batches([(f"p{i}", b) for i, b in enumerate(bodies)], 262_144, None)
        insert = arrow_insert(client, url)
        assert insert.__name__ == "in_place"  # the chDB path, not clickhouse-connect's
        insert(f"{database}.otel_traces", table, "tok:1")
        insert(f"{database}.otel_traces", table, "tok:1")  # a redelivered batch
        client.insert_arrow(f"{database}.by_client", table)
        count = f"SELECT count() FROM {database}.otel_traces"
        assert client.query(count).result_rows[0][0] == table.num_rows
        # every column but the insert time, both ways: no row differs
        for a, b in (("otel_traces", "by_client"), ("by_client", "otel_traces")):
            query = (f"SELECT count() FROM (SELECT * EXCEPT IngestedAt FROM {database}.{a} "
                     f"EXCEPT SELECT * EXCEPT IngestedAt FROM {database}.{b})")  # fmt: skip
            assert client.query(query).result_rows[0][0] == 0
        nested = client.query(f"SELECT Events.Attributes, Links.TraceState FROM {database}.otel_traces "
                              "WHERE length(Events.Name) > 0").result_rows  # fmt: skip
        assert nested == [([{"index": "0"}, {"index": "1"}], ["k=v"])]  # nested columns were exercised
        other, _ = normalised_batches([("p", stamp(build_template(100), 4))], 262_144, None)
        insert(f"{database}.otel_traces", other, "tok:2")  # another batch, another token: stored
        assert client.query(count).result_rows[0][0] == table.num_rows + other.num_rows
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")


def test_a_token_that_could_break_the_query_is_refused(platform: Platform) -> None:
    insert = arrow_insert(platform.client, platform.writer.settings.clickhouse_url)
    table, _ = normalised_batches([("p", stamp(build_template(10), 1))], 262_144, None)
    with pytest.raises(ValueError, match="token"):
        insert("agentstate.otel_traces", table, "x' , max_threads = '1")
