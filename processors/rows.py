"""Pure conversions of processor results into output-stream rows (column names of the tables)."""

from __future__ import annotations

import hashlib
from typing import Any

from agentstate.processors.detectors.alert import AlertRow
from agentstate.processors.pricing import CostRow


def cost_row(row: CostRow, version: int) -> dict[str, Any]:
    """A ``cost_metrics`` row."""
    return {
        "ProjectId": row.project_id,
        "Timestamp": row.start_time_unix_nano,
        "TraceId": row.trace_id,
        "SpanId": row.span_id,
        "ServiceName": row.service_name,
        "Operation": row.operation,
        "Provider": row.provider,
        "Model": row.model,
        "RequestModel": row.request_model,
        "AgentName": row.agent_name,
        "WorkflowName": row.workflow_name,
        "SessionId": row.session_id,
        "UserId": row.user_id,
        "InputTokens": row.input_tokens,
        "OutputTokens": row.output_tokens,
        "CacheReadTokens": row.cache_read_tokens,
        "CacheWriteTokens": row.cache_write_tokens,
        "ReasoningTokens": row.reasoning_tokens,
        "TotalTokens": row.total_tokens,
        "CostInput": float(row.cost_input),
        "CostOutput": float(row.cost_output),
        "CostCacheRead": float(row.cost_cache_read),
        "CostCacheWrite": float(row.cost_cache_write),
        "CostReasoning": float(row.cost_reasoning),
        "CostUsd": float(row.cost_total),
        "PriceSource": row.price_source,
        "Status": row.status.value,
        "Version": version,
    }


def alert_id(project: str, span_id: str, rule_id: str) -> str:
    """Stable alert ID: the same span and rule always give the same ID (idempotent replays)."""
    return hashlib.sha256(f"{project}\x1f{span_id}\x1f{rule_id}".encode()).hexdigest()[:32]


def alert_row(row: AlertRow) -> dict[str, Any]:
    """A ``security_alerts`` row."""
    return {
        "ProjectId": row.project_id,
        "Timestamp": row.time_unix_nano,
        "AlertId": alert_id(row.project_id, row.span_id, row.rule_id),
        "TraceId": row.trace_id,
        "SpanId": row.span_id,
        "RuleId": row.rule_id,
        "Category": row.category.value,
        "Severity": row.severity.value,
        "Score": float(row.score),
        "Evidence": row.evidence,
        "Message": row.message,
        "Status": row.status,
        "Occurrences": row.occurrences,
        "Version": row.version,
    }
