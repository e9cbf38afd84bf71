"""Reading the processors' output tables (``cost_metrics``, ``security_alerts``), when they exist.

Those tables are created by the writer's migrations, possibly after the API starts, so their presence
is checked at query time (cached briefly). Without them, costs read as 0 and there are no alerts.
Table and column names come from the storage contract (:mod:`agentstate.semconv.tables`), the same
definitions the writer creates the tables from.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentstate.api.chstore import ClickHouse
from agentstate.semconv.tables import ALERT_COLUMNS, ALERT_TABLE, COST_COLUMNS, COST_TABLE, COST_USD

__all__ = ["ALERT_TABLE", "COST_TABLE", "AlertSource", "CostSource", "alert_source", "cost_source"]


@dataclass(frozen=True)
class CostSource:
    """How to read per-span cost: ``SELECT SpanId, <cost> FROM cost_metrics``."""

    cost: str
    has_trace_id: bool
    has_time: bool


async def cost_source(ch: ClickHouse) -> CostSource | None:
    """The cost table's layout, or None if the writer has not created it (yet)."""
    if COST_TABLE not in await ch.tables():
        return None
    return CostSource(COST_USD, "TraceId" in COST_COLUMNS, "Timestamp" in COST_COLUMNS)


def span_costs_sql(src: CostSource) -> str:
    """Per-span cost (deduplicated) of the spans ``{span_ids:Array(String)}`` in ``{projects}``."""
    return (
        f"SELECT SpanId, any(`{src.cost}`) FROM {{db}}.{COST_TABLE} "  # nosec B608 - whitelisted column  # noqa: S608
        "WHERE ProjectId IN {projects:Array(String)} AND SpanId IN {span_ids:Array(String)} GROUP BY SpanId"
    )


def trace_costs_sql(src: CostSource) -> str:
    """Total cost per trace of ``{trace_ids:Array(String)}``."""
    if src.has_trace_id:
        inner = (
            f"SELECT TraceId, SpanId, any(`{src.cost}`) AS c FROM {{db}}.{COST_TABLE} "  # nosec B608  # noqa: S608
            "WHERE ProjectId IN {projects:Array(String)} AND TraceId IN {trace_ids:Array(String)} "
            "GROUP BY TraceId, SpanId"
        )
    else:
        inner = (
            f"SELECT t.TraceId AS TraceId, c.SpanId AS SpanId, any(c.`{src.cost}`) AS c "  # nosec B608  # noqa: S608
            f"FROM {{db}}.{COST_TABLE} AS c INNER JOIN (SELECT DISTINCT TraceId, SpanId FROM {{db}}.otel_traces "
            "WHERE ProjectId IN {projects:Array(String)} AND TraceId IN {trace_ids:Array(String)}) AS t "
            "ON c.SpanId = t.SpanId WHERE c.ProjectId IN {projects:Array(String)} GROUP BY TraceId, SpanId"
        )
    return f"SELECT TraceId, sum(c) FROM ({inner}) GROUP BY TraceId"  # nosec B608 - built from constants  # noqa: S608


def costly_traces_sql(src: CostSource) -> str:
    """Trace IDs whose total cost is at least ``{min_cost:Float64}``, among spans in the window."""
    spans = (
        "SELECT SpanId FROM {db}.otel_traces WHERE ProjectId IN {projects:Array(String)} "
        "AND Timestamp >= fromUnixTimestamp64Nano({from_ns:Int64}) "
        "AND Timestamp < fromUnixTimestamp64Nano({span_to_ns:Int64})"
    )
    trace = "TraceId" if src.has_trace_id else "'' AS TraceId"
    per_span = (
        f"SELECT SpanId, any({trace}) AS TraceId, any(`{src.cost}`) AS c "  # nosec B608 - whitelisted  # noqa: S608
        f"FROM {{db}}.{COST_TABLE} WHERE ProjectId IN {{projects:Array(String)}} "
        f"AND SpanId IN ({spans}) GROUP BY SpanId"
    )
    if not src.has_trace_id:
        per_span = (
            f"SELECT p.SpanId AS SpanId, t.TraceId AS TraceId, p.c AS c FROM ({per_span}) AS p "  # nosec B608  # noqa: S608
            f"INNER JOIN ({spans.replace('SELECT SpanId', 'SELECT DISTINCT SpanId, TraceId')}) AS t "
            "ON p.SpanId = t.SpanId"
        )
    return f"SELECT TraceId FROM ({per_span}) GROUP BY TraceId HAVING sum(c) >= {{min_cost:Float64}}"  # nosec B608  # noqa: S608


@dataclass(frozen=True)
class AlertSource:
    """Column names of the alerts table."""

    id: str
    time: str
    rule: str
    title: str | None
    detail: str | None
    has_severity: bool
    has_span: bool


_ALERT = AlertSource(
    id="AlertId",
    time="Timestamp",
    rule="RuleId",
    title="Message",
    detail="Evidence",
    has_severity="Severity" in ALERT_COLUMNS,
    has_span="SpanId" in ALERT_COLUMNS,
)
"""How an alert row is read: the contract's column names."""


async def alert_source(ch: ClickHouse) -> AlertSource | None:
    """The alerts table's layout, or None if the writer has not created it (yet)."""
    return _ALERT if ALERT_TABLE in await ch.tables() else None


def alert_counts_sql(src: AlertSource) -> str:
    """Distinct alerts per trace of ``{trace_ids:Array(String)}``."""
    return (
        f"SELECT TraceId, uniqExact(`{src.id}`) FROM {{db}}.{ALERT_TABLE} "  # nosec B608 - whitelisted  # noqa: S608
        "WHERE ProjectId IN {projects:Array(String)} AND TraceId IN {trace_ids:Array(String)} GROUP BY TraceId"
    )


def alert_select(src: AlertSource) -> str:
    """Columns of an alert row: id, project, time ns, trace, span, rule, severity, title, detail."""

    def col(name: str | None, default: str = "''") -> str:
        return f"toString(`{name}`)" if name else default

    return ", ".join(
        [
            col(src.id),
            "ProjectId",
            f"toUnixTimestamp64Nano(toDateTime64(`{src.time}`, 9))",
            "TraceId",
            col("SpanId" if src.has_span else None),
            col(src.rule),
            col("Severity" if src.has_severity else None),
            col(src.title),
            col(src.detail),
        ]
    )
