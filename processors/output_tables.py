"""The processors' own tables (``cost_metrics``, ``security_alerts``) and the writers that fill them.

The cost and security workers never touch ClickHouse (embedded chDB allows one process): they
publish rows to ``costs.out`` (Arrow IPC, ``arrow_rows.py``) / ``alerts.out`` (JSON: a few rows, each
also pushed to the live feed) and the writer persists them here. Both tables
are ReplacingMergeTrees keyed by span (and rule), so a replayed span adds no duplicate; ``Version``
lets a later aggregation of the same alert (more occurrences) win.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clickhouse_connect.driver.client import Client
from redis.asyncio import Redis

from agentstate.processors.settings import WorkerSettings
from agentstate.processors.writer import RowsWriter
from agentstate.semconv import streams as S
from agentstate.semconv.tables import ALERT_COLUMNS, ALERT_TABLE, COST_COLUMNS, COST_TABLE

__all__ = ["ALERT_COLUMNS", "COST_COLUMNS", "ddl", "writers"]


def _ttl(days: int) -> str:
    return f"TTL toDateTime(Timestamp) + toIntervalDay({days})" if days > 0 else ""


def ddl(database: str, retention_days: int = 0) -> list[str]:
    """Idempotent DDL of both tables (``database`` is a validated identifier)."""
    db = f"`{database}`"
    return [
        f"""CREATE TABLE IF NOT EXISTS {db}.{COST_TABLE} (
    ProjectId LowCardinality(String), Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)), SpanId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String), Operation LowCardinality(String), Provider LowCardinality(String),
    Model LowCardinality(String), RequestModel LowCardinality(String), AgentName LowCardinality(String),
    WorkflowName LowCardinality(String), SessionId String, UserId String,
    InputTokens UInt64, OutputTokens UInt64, CacheReadTokens UInt64, CacheWriteTokens UInt64,
    ReasoningTokens UInt64, TotalTokens UInt64,
    CostInput Float64, CostOutput Float64, CostCacheRead Float64, CostCacheWrite Float64,
    CostReasoning Float64, CostUsd Float64,
    PriceSource LowCardinality(String), Status LowCardinality(String), Version UInt64,
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_span_id SpanId TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = ReplacingMergeTree(Version)
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (ProjectId, toDate(Timestamp), TraceId, SpanId)
{_ttl(retention_days)}
SETTINGS non_replicated_deduplication_window = 1000""",
        f"""CREATE TABLE IF NOT EXISTS {db}.{ALERT_TABLE} (
    ProjectId LowCardinality(String), Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    AlertId String, TraceId String, SpanId String, RuleId LowCardinality(String),
    Category LowCardinality(String), Severity LowCardinality(String), Score Float32,
    Evidence String, Message String, Status LowCardinality(String) DEFAULT 'open',
    Occurrences UInt32, Version UInt64, DetectedAt DateTime64(3) DEFAULT now64(3),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = ReplacingMergeTree(Version)
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (ProjectId, toDate(Timestamp), TraceId, SpanId, RuleId)
{_ttl(retention_days)}
SETTINGS non_replicated_deduplication_window = 1000""",
    ]


class AlertsWriter(RowsWriter):
    """Persists alerts and pushes each to the live feed."""

    def _announcements(self, rows: list[list[Any]]) -> list[tuple[str, str, dict[str, Any]]]:
        idx = {c: i for i, c in enumerate(self.columns)}
        return [
            (
                r[idx["ProjectId"]],
                "alert",
                {
                    "alert_id": r[idx["AlertId"]],
                    "trace_id": r[idx["TraceId"]],
                    "span_id": r[idx["SpanId"]],
                    "rule_id": r[idx["RuleId"]],
                    "severity": r[idx["Severity"]],
                    "message": r[idx["Message"]],
                },
            )
            for r in rows
        ]


def writers(redis: Redis, client: Client, settings: WorkerSettings, common: dict[str, Any]) -> Sequence[RowsWriter]:
    """The writer-side consumers of the processors' output streams."""
    db = settings.clickhouse_database
    name = settings.consumer_name
    # Row entries are small (<= 500 rows each): gather many per insert.
    common = {**common, "batch_entries": max(common.get("batch_entries", 20), 200)}
    return [
        RowsWriter(redis, client, S.COSTS_STREAM, f"{db}.{COST_TABLE}", COST_COLUMNS, name, **common),
        AlertsWriter(redis, client, S.ALERTS_STREAM, f"{db}.{ALERT_TABLE}", ALERT_COLUMNS, name, **common),
    ]
