"""Storage layout on a real chDB: ``otel_traces`` inserts write Compact parts (few files), and the
per-trace tables merge with a wider base than ClickHouse's default."""

from __future__ import annotations

import uuid

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.processors.clickhouse import migrate
from agentstate.processors.clickhouse_schema import (
    COMPACT_PART_BYTES,
    MERGE_BLOCK_BYTES,
    TRACES_MERGE_SELECTOR_BASE,
)
from agentstate.processors.otlp_rows import traces_to_arrow
from agentstate.processors.summary_schema import MERGE_SELECTOR_BASE, TABLES, ensure
from tests.conftest import Platform


def _table(spans: int, offset: int) -> pa.Table:
    req = ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans.add()
    for i in range(offset, offset + spans):
        s = ss.spans.add()
        s.trace_id, s.span_id = i.to_bytes(16, "big"), (i + 1).to_bytes(8, "big")
        s.name, s.start_time_unix_nano = "chat", 1_764_000_000_000_000_000 + i
        s.end_time_unix_nano = s.start_time_unix_nano + 1_000_000
        for key, value in (("gen_ai.operation.name", "chat"), ("gen_ai.input.messages", "hello " * 200)):
            kv = s.attributes.add()
            kv.key, kv.value.string_value = key, value
    return traces_to_arrow([("p", req.SerializeToString())])


def test_inserts_write_compact_parts_and_migrate_sets_it_on_old_tables(platform: Platform) -> None:
    client, db = platform.client, f"parts_{uuid.uuid4().hex[:8]}"  # one chDB engine per process: own database
    migrate(client, db)
    client.command(f"SYSTEM STOP MERGES {db}.otel_traces")  # keep the two parts apart while we look
    # An existing table without the setting (created by an older release or by the collector).
    client.command(
        f"ALTER TABLE {db}.otel_traces RESET SETTING min_bytes_for_wide_part, merge_selector_base, "
        "merge_max_block_size_bytes"
    )
    client.command(f"ALTER TABLE {db}.otel_traces MODIFY SETTING min_bytes_for_wide_part = 0")
    client.insert_arrow(f"{db}.otel_traces", _table(200, 0))
    migrate(client, db)  # idempotent, and brings the old table up to date
    client.insert_arrow(f"{db}.otel_traces", _table(200, 1000))
    parts = client.query(
        "SELECT part_type, rows FROM system.parts WHERE database = {d:String} AND table = 'otel_traces' "
        "AND active ORDER BY min_block_number",
        parameters={"d": db},
    ).result_rows
    assert [p[0] for p in parts] == ["Wide", "Compact"]
    setting = client.query(
        "SELECT create_table_query FROM system.tables WHERE database = {d:String} AND name = 'otel_traces'",
        parameters={"d": db},
    ).result_rows[0][0]
    assert f"min_bytes_for_wide_part = {COMPACT_PART_BYTES}" in setting
    assert f"merge_selector_base = {TRACES_MERGE_SELECTOR_BASE}" in setting
    assert f"merge_max_block_size_bytes = {MERGE_BLOCK_BYTES}" in setting
    assert client.query(f"SELECT count() FROM {db}.otel_traces FINAL").result_rows[0][0] == 400
    client.command(f"DROP DATABASE {db}")


def test_per_trace_tables_get_the_merge_selector_base_also_when_they_exist(platform: Platform) -> None:
    client, db = platform.client, f"msb_{uuid.uuid4().hex[:8]}"
    migrate(client, db)
    ensure(client, db)
    client.command(f"ALTER TABLE {db}.{TABLES[1]} RESET SETTING merge_selector_base")  # as an older release made it

    def created() -> dict[str, str]:
        rows = client.query(
            "SELECT name, create_table_query FROM system.tables "
            "WHERE database = {d:String} AND name IN {t:Array(String)}",
            parameters={"d": db, "t": list(TABLES)},
        ).result_rows
        return {str(name): str(query) for name, query in rows}

    assert f"merge_selector_base = {MERGE_SELECTOR_BASE}" not in created()[TABLES[1]]
    ensure(client, db)  # idempotent, and brings the old table up to date
    assert all(f"merge_selector_base = {MERGE_SELECTOR_BASE}" in q for q in created().values()), created()
    assert len(created()) == len(TABLES)
    client.command(f"DROP DATABASE {db}")
