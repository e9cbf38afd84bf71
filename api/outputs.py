"""Reading the processors' output tables (``cost_metrics``, ``security_alerts``), when they exist.

Those tables are created by the processors' own migrations, possibly after the API starts, so their
presence and columns are discovered at query time (cached). Without them, costs read as 0 and there
are no alerts. Column names below are chosen from fixed candidate lists (never from a request).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agentstate.api.chstore import ClickHouse

COST_TABLE = "cost_metrics"
ALERT_TABLE = "security_alerts"

_COST_COLUMNS = ("CostUsd", "TotalCostUsd", "TotalCost", "Cost", "cost_usd")
_ALERT_ID = ("AlertId", "Id")
_ALERT_TIME = ("Timestamp", "CreatedAt", "DetectedAt")
_ALERT_RULE = ("RuleId", "Rule")
_ALERT_TITLE = ("Title", "RuleName", "Message")
_ALERT_DETAIL = ("Detail", "Details", "Description", "Evidence", "Message")


def _pick(columns: frozenset[str], candidates: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in columns), None)


@dataclass(frozen=True)
class CostSource:
    """How to read per-span cost: ``SELECT SpanId, <cost> FROM cost_metrics``."""

    cost: str
    has_trace_id: bool
    has_time: bool


async def cost_source(ch: ClickHouse) -> CostSource | None:
    """The cost table's layout, or None if costs are not available."""
    cols = await ch.columns(COST_TABLE)
    cost = _pick(cols, _COST_COLUMNS)
    if cost is None or "SpanId" not in cols or "ProjectId" not in cols:
        return None
    return CostSource(cost, "TraceId" in cols, "Timestamp" in cols)


def span_costs_sql(src: CostSource) -> str:
    """Per-span cost (deduplicated) of the spans ``{span_ids:Array(String)}`` in ``{projects}``."""
    return (f"SELECT SpanId, any(`{src.cost}`) FROM {{db}}.{COST_TABLE} "  # nosec B608 - whitelisted column  # noqa: S608
            "WHERE ProjectId IN {projects:Array(String)} AND SpanId IN {span_ids:Array(String)} GROUP BY SpanId")


def trace_costs_sql(src: CostSource) -> str:
    """Total cost per trace of ``{trace_ids:Array(String)}``."""
    if src.has_trace_id:
        inner = (f"SELECT TraceId, SpanId, any(`{src.cost}`) AS c FROM {{db}}.{COST_TABLE} "  # nosec B608  # noqa: S608
                 "WHERE ProjectId IN {projects:Array(String)} AND TraceId IN {trace_ids:Array(String)} "
                 "GROUP BY TraceId, SpanId")
    else:
        inner = (f"SELECT t.TraceId AS TraceId, c.SpanId AS SpanId, any(c.`{src.cost}`) AS c "  # nosec B608  # noqa: S608
                 f"FROM {{db}}.{COST_TABLE} AS c INNER JOIN (SELECT DISTINCT TraceId, SpanId FROM {{db}}.otel_traces "
                 "WHERE ProjectId IN {projects:Array(String)} AND TraceId IN {trace_ids:Array(String)}) AS t "
                 "ON c.SpanId = t.SpanId WHERE c.ProjectId IN {projects:Array(String)} GROUP BY TraceId, SpanId")
    return f"SELECT TraceId, sum(c) FROM ({inner}) GROUP BY TraceId"  # nosec B608 - built from constants  # noqa: S608


def costly_traces_sql(src: CostSource) -> str:
    """Trace IDs whose total cost is at least ``{min_cost:Float64}``, among spans in the window."""
    spans = ("SELECT SpanId FROM {db}.otel_traces WHERE ProjectId IN {projects:Array(String)} "
             "AND Timestamp >= fromUnixTimestamp64Nano({from_ns:Int64}) "
             "AND Timestamp < fromUnixTimestamp64Nano({span_to_ns:Int64})")
    trace = "TraceId" if src.has_trace_id else "'' AS TraceId"
    per_span = (f"SELECT SpanId, any({trace}) AS TraceId, any(`{src.cost}`) AS c "  # nosec B608 - whitelisted  # noqa: S608
                f"FROM {{db}}.{COST_TABLE} WHERE ProjectId IN {{projects:Array(String)}} "
                f"AND SpanId IN ({spans}) GROUP BY SpanId")
    if not src.has_trace_id:
        per_span = (f"SELECT p.SpanId AS SpanId, t.TraceId AS TraceId, p.c AS c FROM ({per_span}) AS p "  # nosec B608  # noqa: S608
                    f"INNER JOIN ({spans.replace('SELECT SpanId', 'SELECT DISTINCT SpanId, TraceId')}) AS t "
                    "ON p.SpanId = t.SpanId")
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


async def alert_source(ch: ClickHouse) -> AlertSource | None:
    """The alerts table's layout, or None if there are no alerts to read."""
    cols = await ch.columns(ALERT_TABLE)
    ident, time, rule = _pick(cols, _ALERT_ID), _pick(cols, _ALERT_TIME), _pick(cols, _ALERT_RULE)
    if ident is None or time is None or rule is None or "ProjectId" not in cols or "TraceId" not in cols:
        return None
    title = _pick(cols, _ALERT_TITLE)
    detail = next((c for c in _ALERT_DETAIL if c in cols and c != title), None)
    return AlertSource(ident, time, rule, title, detail, "Severity" in cols, "SpanId" in cols)


def alert_counts_sql(src: AlertSource) -> str:
    """Distinct alerts per trace of ``{trace_ids:Array(String)}``."""
    return (f"SELECT TraceId, uniqExact(`{src.id}`) FROM {{db}}.{ALERT_TABLE} "  # nosec B608 - whitelisted  # noqa: S608
            "WHERE ProjectId IN {projects:Array(String)} AND TraceId IN {trace_ids:Array(String)} GROUP BY TraceId")


def alert_select(src: AlertSource) -> str:
    """Columns of an alert row: id, project, time ns, trace, span, rule, severity, title, detail."""
    def col(name: str | None, default: str = "''") -> str:
        return f"toString(`{name}`)" if name else default

    return ", ".join([
        col(src.id), "ProjectId", f"toUnixTimestamp64Nano(toDateTime64(`{src.time}`, 9))", "TraceId",
        col("SpanId" if src.has_span else None), col(src.rule), col("Severity" if src.has_severity else None),
        col(src.title), col(src.detail),
    ])
