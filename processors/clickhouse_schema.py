"""ClickHouse DDL: the OpenTelemetry Collector ``clickhouseexporter`` tables plus AgentState's own.

``otel_traces``, ``otel_traces_trace_id_ts`` (+ MV) and ``otel_logs`` keep the exporter's column names
and types exactly, so Grafana's ClickHouse datasource in OTel mode reads them and the official
collector can insert into the same tables. AgentState's additions are *extra* columns with defaults:

* ``ProjectId`` — the tenant, from the ingest key. First in the sorting key: every query is scoped.
* Normalised GenAI columns (model, tokens, session, user, agent, tool …) are ``DEFAULT`` expressions
  over ``SpanAttributes`` generated from the dialect table (``agentstate.semconv.dialects``), like
  ``processors/normalize.py``, the Python twin the stream processors use; the golden test keeps the
  two in agreement span by span. ClickHouse computes them at insert time in C++, so the writer does
  no per-attribute Python work for them and rows written by the official collector get them too.
  ``ddl`` re-applies the expressions to an existing table (a metadata-only change: rows already
  stored keep the values computed when they were inserted).

The trace table is a ``ReplacingMergeTree`` whose sorting key ends in ``(TraceId, SpanId)``: a span
redelivered after a crash collapses into one row on merge, and ``FINAL`` reads are exact. Insert
deduplication tokens (``non_replicated_deduplication_window``) drop an identical retried batch at once.
"""

from __future__ import annotations

from agentstate.processors import dialect_sql as sql
from agentstate.semconv import dialects as D

NORMALISED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (name, type, DEFAULT expression), generated from the dialect table (processors/dialect_sql.py)
    ("GenAiOperation", "LowCardinality(String)", sql.operation()),
    ("GenAiProvider", "LowCardinality(String)", sql.provider()),
    ("GenAiRequestModel", "LowCardinality(String)", sql.first_nonempty(D.FIELD_KEYS["request_model"])),
    ("GenAiResponseModel", "LowCardinality(String)", sql.first_nonempty(D.MODEL_KEYS)),
    ("InputTokens", "UInt64", sql.input_tokens()),
    ("OutputTokens", "UInt64", sql.tokens("output_tokens")),
    ("CacheReadTokens", "UInt64", sql.tokens("cache_read_tokens")),
    ("CacheWriteTokens", "UInt64", sql.tokens("cache_write_tokens")),
    ("ReasoningTokens", "UInt64", sql.tokens("reasoning_tokens")),
    ("SessionId", "String", sql.first_nonempty(D.FIELD_KEYS["session_id"])),
    ("UserId", "String", sql.first_nonempty(D.FIELD_KEYS["user_id"])),
    ("AgentName", "LowCardinality(String)", sql.entity_fallback("agent_name")),
    ("ToolName", "LowCardinality(String)", sql.entity_fallback("tool_name")),
)
"""The normalised GenAI columns. ``GenAiResponseModel`` is the model that answered, else the one
requested (the in-process ``NormalizedSpan.model``); ``GenAiOperation`` is ``''`` when unknown."""

TRACE_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
    "ProjectId",
)
"""Columns the writer inserts; the normalised ones are left to their DEFAULT expressions."""

LOG_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "TraceFlags",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "Body",
    "ResourceSchemaUrl",
    "ResourceAttributes",
    "ScopeSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "LogAttributes",
    "EventName",
    "ProjectId",
)


COMPACT_PART_BYTES = 128 * 1024 * 1024
"""Parts below this (uncompressed) size are written Compact: one data file instead of two files per
column stream. A wide ``otel_traces`` part is ~180 files (Map, Nested and normalised columns), and
every insert (a few thousand spans, ~15 MB) and small merge created and later deleted one: on the
2-core dev VM that was ~30% of the writer's chDB CPU in the kernel (ext4 inode allocation). Compact
parts cut it to ~14%; parts merge into Wide ones once they pass this size, as ClickHouse intends."""


TRACES_MERGE_SELECTOR_BASE = 10
"""``merge_selector_base`` of ``otel_traces`` (ClickHouse's default is 5): merges wait for more parts
of a similar size, so each span is rewritten by fewer merges, at the price of more parts to read and
more parts read at once by a merge (memory: see :data:`MERGE_BLOCK_BYTES`).

``bench/ingest.py --duration 25`` on a quiet 2-core VM (calibration 101–107k spans/s; one run each,
runs differ by about ±3 µs): writer CPU per span, VmHWM and peak anonymous RSS

* base 5, ClickHouse's 10 MiB merge blocks: 85.6 µs, 1,015 MB, 749 MB;
* base 20, 10 MiB blocks: 76.7–82.0 µs, 1,240–1,246 MB, 951–990 MB (over the 1 GB budget);
* base 20, 2 MiB blocks: 77.7 µs, 1,170 MB, 853 MB;
* base 10, 2 MiB blocks (shipped): 80.6 µs, 970 MB, 699 MB.

In process (220 inserts of 10,000 bench spans, merges included, base 20 against 5): chDB 33.4 → 29.2
µs/span, 7 → 15 active parts, a trace's spans read with ``FINAL`` 3.4 → 3.8 ms, a GROUP BY over all
2.2 M spans 26.9 → 28.9 ms."""


MERGE_BLOCK_BYTES = 2 * 1024 * 1024
"""``merge_max_block_size_bytes`` of ``otel_traces`` (ClickHouse's default is 10 MiB): a merge holds
about one block of this size per part it merges (bench figures at :data:`TRACES_MERGE_SELECTOR_BASE`)."""


def _ttl(column: str, days: int) -> str:
    return f"TTL toDateTime({column}) + toIntervalDay({days})" if days > 0 else ""


def ddl(database: str, retention_days: int = 0) -> list[str]:
    """Return the idempotent DDL statements, in order, for ``database``.

    ``database`` comes from validated settings (an identifier), never from a request.
    """
    db = f"`{database}`"
    norm = ",\n    ".join(f"`{n}` {t} DEFAULT {e}" for n, t, e in NORMALISED_COLUMNS)
    return [
        f"CREATE DATABASE IF NOT EXISTS {db}",
        f"""CREATE TABLE IF NOT EXISTS {db}.otel_traces (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    ProjectId LowCardinality(String) DEFAULT '' CODEC(ZSTD(1)),
    IngestedAt DateTime64(3) DEFAULT now64(3) CODEC(Delta(8), ZSTD(1)),
    {norm},
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_session SessionId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ProjectId, toStartOfHour(Timestamp), TraceId, SpanId)
{_ttl("Timestamp", retention_days)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000,
    min_bytes_for_wide_part = {COMPACT_PART_BYTES}, merge_selector_base = {TRACES_MERGE_SELECTOR_BASE},
    merge_max_block_size_bytes = {MERGE_BLOCK_BYTES}""",
        # Tables created before the dialect table get its expressions (metadata only; rows keep theirs).
        *(f"ALTER TABLE {db}.otel_traces MODIFY COLUMN IF EXISTS `{n}` DEFAULT {e}" for n, _, e in NORMALISED_COLUMNS),
        # Tables created before the setting existed (or by the official collector) get it too.
        f"ALTER TABLE {db}.otel_traces MODIFY SETTING min_bytes_for_wide_part = {COMPACT_PART_BYTES}, "
        f"merge_selector_base = {TRACES_MERGE_SELECTOR_BASE}, merge_max_block_size_bytes = {MERGE_BLOCK_BYTES}",
        f"""CREATE TABLE IF NOT EXISTS {db}.otel_traces_trace_id_ts (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta(4), ZSTD(1)),
    End DateTime CODEC(Delta(4), ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
{_ttl("Start", retention_days)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.otel_traces_trace_id_ts_mv
TO {db}.otel_traces_trace_id_ts
AS SELECT TraceId, min(Timestamp) AS Start, max(Timestamp) AS End
FROM {db}.otel_traces WHERE TraceId != '' GROUP BY TraceId""",
        f"""CREATE TABLE IF NOT EXISTS {db}.otel_logs (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    ProjectId LowCardinality(String) DEFAULT '' CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = MergeTree
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ProjectId, ServiceName, TimestampTime)
ORDER BY (ProjectId, ServiceName, TimestampTime, Timestamp)
{_ttl("TimestampTime", retention_days)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000""",
    ]
