"""Storage layout of ``otel_traces`` on a real chDB: inserts write Compact parts (few files)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.processors.clickhouse import connect, migrate
from agentstate.processors.clickhouse_schema import COMPACT_PART_BYTES
from agentstate.processors.otlp_rows import traces_to_arrow


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


def test_inserts_write_compact_parts_and_migrate_sets_it_on_old_tables(tmp_path: Path) -> None:
    client = connect(f"chdb://{tmp_path / 'ch'}")
    migrate(client, "agentstate")
    # An existing table without the setting (created by an older release or by the collector).
    client.command("ALTER TABLE agentstate.otel_traces RESET SETTING min_bytes_for_wide_part")
    client.command("ALTER TABLE agentstate.otel_traces MODIFY SETTING min_bytes_for_wide_part = 0")
    client.insert_arrow("agentstate.otel_traces", _table(200, 0))
    migrate(client, "agentstate")  # idempotent, and brings the old table up to date
    client.insert_arrow("agentstate.otel_traces", _table(200, 1000))
    parts = client.query(
        "SELECT part_type, rows FROM system.parts WHERE database = 'agentstate' AND table = 'otel_traces' "
        "AND active ORDER BY min_block_number").result_rows
    assert [p[0] for p in parts] == ["Wide", "Compact"]
    setting = client.query("SELECT create_table_query FROM system.tables WHERE database = 'agentstate' "
                           "AND name = 'otel_traces'").result_rows[0][0]
    assert f"min_bytes_for_wide_part = {COMPACT_PART_BYTES}" in setting
    assert client.query("SELECT count() FROM agentstate.otel_traces FINAL").result_rows[0][0] == 400
