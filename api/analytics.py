"""``GET /analytics/cost`` and ``/analytics/usage``: time series grouped by a dimension.

The grouping column and bucket function come from fixed tables keyed by validated enum values;
nothing from the request is formatted into the SQL.
"""

from __future__ import annotations

from typing import Any

from agentstate.api.chstore import ClickHouse
from agentstate.api.outputs import COST_TABLE, cost_source
from agentstate.api.params import AnalyticsQuery, from_ns
from agentstate.api.trace_list import SCOPE
from agentstate.api.trace_models import CostPoint, CostSeries, UsagePoint, UsageSeries

MODEL_FAMILY = (
    r"replaceRegexpOne(GenAiRequestModel, "
    r"'(?:[-@](?:\\d{4}-\\d{2}-\\d{2}|\\d{8}|\\d{4})(?:-v\\d+(?::\\d+)?)?|-v\\d+(?::\\d+)?|-latest)$', '')"
)
"""The model family: the request model without its release suffix (``gpt-4o-mini-2024-07-18`` → ``gpt-4o-mini``,
``claude-3-5-sonnet-20241022`` → ``claude-3-5-sonnet``, ``gpt-4-0613`` → ``gpt-4``, Bedrock's ``…-20240307-v1:0``),
so one model's versions are one series; ``model_version`` keeps the exact name."""

GROUP_COLUMNS = {
    "model": MODEL_FAMILY,
    "model_version": "GenAiRequestModel",
    "provider": "GenAiProvider",
    "agent": "AgentName",
    "user": "UserId",
    "service": "ServiceName",
}
BUCKETS = {
    "hour": "toStartOfHour(Timestamp)",
    "day": "toStartOfDay(Timestamp)",
    "week": "toMonday(Timestamp)",
}


def _cost_sql(query: AnalyticsQuery, cost_col: str | None) -> str:
    key, bucket = GROUP_COLUMNS[query.group_by], BUCKETS[query.bucket]
    spans = (
        f"SELECT SpanId, toUnixTimestamp(toDateTime({bucket})) AS b, {key} AS k, InputTokens, OutputTokens "  # nosec B608  # noqa: S608
        f"FROM {{db}}.otel_traces WHERE {SCOPE} AND GenAiRequestModel != ''"
    )
    if cost_col is None:
        return (
            f"SELECT b, k, 0.0, sum(InputTokens), sum(OutputTokens), count() FROM ({spans}) "  # nosec B608  # noqa: S608
            "GROUP BY b, k ORDER BY b, k"
        )
    costs = (
        f"SELECT SpanId, any(`{cost_col}`) AS cost FROM {{db}}.{COST_TABLE} "  # nosec B608 - whitelisted  # noqa: S608
        "WHERE ProjectId IN {projects:Array(String)} GROUP BY SpanId"
    )
    return (
        f"SELECT s.b, s.k, sum(c.cost), sum(s.InputTokens), sum(s.OutputTokens), count() FROM ({spans}) AS s "  # nosec B608  # noqa: S608
        f"LEFT JOIN ({costs}) AS c ON s.SpanId = c.SpanId GROUP BY s.b, s.k ORDER BY s.b, s.k "
        "SETTINGS join_use_nulls = 0"
    )


async def cost_series(
    ch: ClickHouse, projects: list[str], query: AnalyticsQuery, window: tuple[int, int]
) -> CostSeries:
    """Cost and tokens of model calls (spans with a request model) per bucket and group."""
    src = await cost_source(ch)
    params: dict[str, Any] = {"projects": projects, "from_ns": window[0], "to_ns": window[1]}
    rows = await ch.rows(_cost_sql(query, src.cost if src else None), params)
    points = [
        CostPoint(
            bucket=from_ns(int(r[0]) * 1_000_000_000),
            key=str(r[1]),
            cost_usd=float(r[2]),
            input_tokens=int(r[3]),
            output_tokens=int(r[4]),
            calls=int(r[5]),
        )
        for r in rows
    ]
    return CostSeries(
        group_by=query.group_by, bucket=query.bucket, total_cost_usd=sum(p.cost_usd for p in points), points=points
    )


def _usage_sql(query: AnalyticsQuery) -> str:
    key, bucket = GROUP_COLUMNS[query.group_by], BUCKETS[query.bucket]
    only = "" if query.group_by == "service" else f"AND {key} != ''"
    return (
        f"SELECT toUnixTimestamp(toDateTime({bucket})) AS b, {key} AS k, count(), "  # nosec B608 - whitelisted  # noqa: S608
        "countIf(StatusCode = 'Error'), sum(InputTokens), sum(OutputTokens), "
        "quantilesTDigest(0.5, 0.95, 0.99)(Duration) "
        f"FROM {{db}}.otel_traces WHERE {SCOPE} {only} GROUP BY b, k ORDER BY b, k"
    )


async def usage_series(
    ch: ClickHouse, projects: list[str], query: AnalyticsQuery, window: tuple[int, int]
) -> UsageSeries:
    """Spans, errors, tokens and latency percentiles per bucket and group."""
    params: dict[str, Any] = {"projects": projects, "from_ns": window[0], "to_ns": window[1]}
    points = []
    for r in await ch.rows(_usage_sql(query), params):
        spans, errors, q = int(r[2]), int(r[3]), [float(v) / 1e6 for v in r[6]]
        points.append(
            UsagePoint(
                bucket=from_ns(int(r[0]) * 1_000_000_000),
                key=str(r[1]),
                spans=spans,
                errors=errors,
                error_rate=errors / spans if spans else 0.0,
                input_tokens=int(r[4]),
                output_tokens=int(r[5]),
                p50_ms=q[0],
                p95_ms=q[1],
                p99_ms=q[2],
            )
        )
    return UsageSeries(group_by=query.group_by, bucket=query.bucket, points=points)
