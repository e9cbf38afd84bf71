"""ClickHouse table and column names: the storage contract between the writer (which creates and fills the
tables), the workers (whose rows it stores) and the API (which reads them). One definition each."""

from __future__ import annotations

from typing import Final

TRACE_ROOTS_TABLE: Final = "trace_roots"
"""Root spans only, by project and time: the trace list's page selection."""

TRACE_SUMMARY_TABLE: Final = "trace_summary"
"""One merged row per trace (start, end, span count, tokens, error, models, sessions, users)."""

TRACE_FACETS_TABLE: Final = "trace_facets"
"""(trace, facet, value) rows: which traces have a given service, model, agent, session, user, error."""

TRACE_TABLES: Final = (TRACE_ROOTS_TABLE, TRACE_SUMMARY_TABLE, TRACE_FACETS_TABLE)
"""All per-trace tables; the API uses them only when every one exists."""

COST_TABLE: Final = "cost_metrics"
"""One priced row per model call (the cost calculator's output), a ReplacingMergeTree keyed by span."""

COST_COLUMNS: Final[tuple[str, ...]] = (
    "ProjectId",
    "Timestamp",
    "TraceId",
    "SpanId",
    "ServiceName",
    "Operation",
    "Provider",
    "Model",
    "RequestModel",
    "AgentName",
    "WorkflowName",
    "SessionId",
    "UserId",
    "InputTokens",
    "OutputTokens",
    "CacheReadTokens",
    "CacheWriteTokens",
    "ReasoningTokens",
    "TotalTokens",
    "CostInput",
    "CostOutput",
    "CostCacheRead",
    "CostCacheWrite",
    "CostReasoning",
    "CostUsd",
    "PriceSource",
    "Status",
    "Version",
)
"""Columns of :data:`COST_TABLE`, in the order the writer inserts them."""

COST_USD: Final = "CostUsd"
"""The total cost of one model call in US dollars."""

ALERT_TABLE: Final = "security_alerts"
"""One row per alert (security engine and budgets), a ReplacingMergeTree keyed by span and rule."""

ALERT_COLUMNS: Final[tuple[str, ...]] = (
    "ProjectId",
    "Timestamp",
    "AlertId",
    "TraceId",
    "SpanId",
    "RuleId",
    "Category",
    "Severity",
    "Score",
    "Evidence",
    "Message",
    "Status",
    "Occurrences",
    "Version",
)
"""Columns of :data:`ALERT_TABLE`, in the order the writer inserts them."""
