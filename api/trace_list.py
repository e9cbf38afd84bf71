"""``GET /traces``: trace summaries with filters, sorting and keyset pagination.

Two phases keep the first page fast on millions of spans. Phase 1 picks the page from *root* spans
in the project and time range. Trace-level filters (service, model, agent, session, user, status)
become ``(ProjectId, TraceId) IN (…)`` sets, one per filter, so each may match a different span of
the trace. Phase 2 aggregates just the page's traces (tokens, span count, errors, models), then costs
and alert counts are looked up by trace ID.

Both phases read the per-trace tables (created by the writer's migration,
:mod:`agentstate.processors.summary_schema`) when they exist:
``trace_roots`` (root spans, in time order) and ``trace_summary`` (one merged row per trace), ten
times fewer rows than the spans. Without them (an older schema) the same phases run on
``otel_traces``: roots are ``ParentSpanId = ''`` rows, filters and aggregates scan the spans. Free
text always scans the spans' names and attribute values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentstate.api.chstore import ClickHouse
from agentstate.api.outputs import (
    CostSource,
    alert_counts_sql,
    alert_source,
    cost_source,
    costly_traces_sql,
    trace_costs_sql,
)
from agentstate.api.params import TraceQuery, decode_cursor, encode_cursor, from_ns
from agentstate.api.trace_models import TracePage, TraceSummary
from agentstate.semconv.tables import TRACE_FACETS_TABLE as FACETS_TABLE
from agentstate.semconv.tables import TRACE_ROOTS_TABLE as ROOTS_TABLE
from agentstate.semconv.tables import TRACE_SUMMARY_TABLE as SUMMARY_TABLE
from agentstate.semconv.tables import TRACE_TABLES as TABLES

SCOPE = (
    "ProjectId IN {projects:Array(String)} "
    "AND Timestamp >= fromUnixTimestamp64Nano({from_ns:Int64}) "
    "AND Timestamp < fromUnixTimestamp64Nano({to_ns:Int64})"
)
"""Every query starts here: the caller's projects and the time window (sorting-key prefix)."""

_SPAN_SCOPE = (
    "ProjectId IN {projects:Array(String)} "
    "AND Timestamp >= fromUnixTimestamp64Nano({from_ns:Int64}) "
    "AND Timestamp < fromUnixTimestamp64Nano({span_to_ns:Int64})"
)

_SPAN_FILTERS: dict[str, str] = {
    "service": "ServiceName = {service:String}",
    "model": "(GenAiRequestModel = {model:String} OR GenAiResponseModel = {model:String})",
    "agent": "AgentName = {agent:String}",
    "session_id": "SessionId = {session_id:String}",
    "user_id": "UserId = {user_id:String}",
    "q": (
        "(positionCaseInsensitiveUTF8(SpanName, {q:String}) > 0 OR "
        "arrayExists(v -> positionCaseInsensitiveUTF8(v, {q:String}) > 0, mapValues(SpanAttributes)))"
    ),
}

_FACET_SCOPE = (
    "ProjectId IN {projects:Array(String)} "
    "AND Start >= fromUnixTimestamp64Nano({sum_from_ns:Int64}) "
    "AND Start < fromUnixTimestamp64Nano({span_to_ns:Int64})"
)
"""Facets of traces rooted in the window: a trace's spans lie within the slack of its root."""

_FACET_FILTERS: dict[str, str] = {
    "service": "Facet = 'service' AND Value = {service:String}",
    "model": "Facet IN ('model', 'response_model') AND Value = {model:String}",
    "agent": "Facet = 'agent' AND Value = {agent:String}",
    "session_id": "Facet = 'session' AND Value = {session_id:String}",
    "user_id": "Facet = 'user' AND Value = {user_id:String}",
}

_DUP_HEADROOM = 8
"""Extra rows fetched so that not-yet-merged duplicate root spans cannot shorten a page."""

_ROOT_SORT = {"start": "Timestamp", "duration": "Duration"}
_KEYSET = {"start": "toUnixTimestamp64Nano(Timestamp)", "duration": "Duration"}
_KEYSET_TYPE = {"start": "Int64", "duration": "UInt64"}


def _traces_with(condition: str) -> str:
    return f"TraceId IN (SELECT TraceId FROM {{db}}.otel_traces WHERE {_SPAN_SCOPE} AND {condition})"  # nosec B608  # noqa: S608


def _facet(condition: str) -> str:
    return (
        f"TraceId IN (SELECT TraceId FROM {{db}}.{FACETS_TABLE} "  # nosec B608  # noqa: S608
        f"WHERE {_FACET_SCOPE} AND {condition})"
    )


def page_sql(
    query: TraceQuery, cursor: dict[str, Any] | None, cost: CostSource | None, summary: bool = False
) -> tuple[str, dict[str, Any]]:
    """Phase 1: the SQL and parameters choosing the page's root spans (from ``trace_roots`` if ``summary``)."""
    where = [SCOPE] if summary else [SCOPE, "ParentSpanId = ''"]
    # No LIMIT BY here: it defeats ClickHouse's top-N sort (3x slower); duplicates are dropped in Python.
    params: dict[str, Any] = {"limit": query.limit + 1 + _DUP_HEADROOM}
    for name, condition in _SPAN_FILTERS.items():
        value = getattr(query, name)
        if value is not None:
            by_facet = summary and name in _FACET_FILTERS
            where.append(_facet(_FACET_FILTERS[name]) if by_facet else _traces_with(condition))
            params[name] = value
    if query.status is not None:
        errors = _facet("Facet = 'status' AND Value = 'error'") if summary else _traces_with("StatusCode = 'Error'")
        where.append(errors if query.status == "error" else "NOT " + errors)
    if query.min_duration_ms is not None:
        where.append("Duration >= {min_dur:UInt64}")
        params["min_dur"] = int(query.min_duration_ms * 1_000_000)
    if query.min_cost:  # costs are never negative: a minimum of 0 keeps traces without cost rows too
        where.append(_min_cost_condition(cost))
        params["min_cost"] = query.min_cost
    desc = query.order == "desc"
    if cursor is not None:
        op = "<" if desc else ">"
        kt = _KEYSET_TYPE[query.sort]
        where.append(f"({_KEYSET[query.sort]}, TraceId) {op} ({{cv:{kt}}}, {{ct:String}})")
        params.update(cv=cursor["v"], ct=cursor["t"])
    direction = "DESC" if desc else "ASC"
    sql = (
        "SELECT TraceId, ProjectId, toUnixTimestamp64Nano(Timestamp), Duration, SpanName, ServiceName "  # nosec B608  # noqa: S608
        f"FROM {{db}}.{ROOTS_TABLE if summary else 'otel_traces'} WHERE {' AND '.join(where)} "
        f"ORDER BY {_ROOT_SORT[query.sort]} {direction}, TraceId {direction} "
        "LIMIT {limit:UInt32}"
    )
    return sql, params


def _min_cost_condition(src: CostSource | None) -> str:
    if src is None:
        return "{min_cost:Float64} <= 0"
    return f"TraceId IN ({costly_traces_sql(src)})"


_AGGREGATE = """
SELECT TraceId, count(), sum(InputTokens), sum(OutputTokens), countIf(StatusCode = 'Error') > 0,
       anyIf(SessionId, SessionId != ''), anyIf(UserId, UserId != ''),
       arraySort(groupUniqArrayIf(GenAiRequestModel, GenAiRequestModel != ''))
FROM (
    SELECT TraceId, SpanId, InputTokens, OutputTokens, StatusCode, SessionId, UserId, GenAiRequestModel
    FROM {db}.otel_traces
    WHERE ProjectId = {project:String} AND TraceId IN {trace_ids:Array(String)}
      AND Timestamp >= fromUnixTimestamp64Nano({lo:Int64}) AND Timestamp < fromUnixTimestamp64Nano({hi:Int64})
    LIMIT 1 BY TraceId, SpanId
)
GROUP BY TraceId
"""


_AGGREGATE_SUMMARY = f"""
SELECT TraceId, length(s.1), arraySum(s.2), arraySum(s.3), e, sessions[1], users[1], models
FROM (
    SELECT TraceId, maxMap(Spans) AS s, max(Error) > 0 AS e, arraySort(groupUniqArrayArray(Sessions)) AS sessions,
           arraySort(groupUniqArrayArray(Users)) AS users, arraySort(groupUniqArrayArray(RequestModels)) AS models
    FROM {{db}}.{SUMMARY_TABLE}
    WHERE ProjectId = {{project:String}} AND TraceId IN {{trace_ids:Array(String)}}
      AND Day >= toDate(fromUnixTimestamp64Nano({{lo:Int64}})) AND Day <= toDate(fromUnixTimestamp64Nano({{hi:Int64}}))
      AND Start >= fromUnixTimestamp64Nano({{lo:Int64}}) AND Start < fromUnixTimestamp64Nano({{hi:Int64}})
    GROUP BY TraceId
)
"""  # nosec B608 - table name is a constant  # noqa: S608


async def summarise(
    ch: ClickHouse, roots: Sequence[tuple[Any, ...]], slack_ns: int, summary: bool = False
) -> list[TraceSummary]:
    """Phase 2: whole-trace aggregates for the page's roots ``(trace, project, start_ns, dur, name, svc)``."""
    if not roots:
        return []
    aggregates: dict[tuple[str, str], tuple[Any, ...]] = {}
    for project in sorted({str(r[1]) for r in roots}):
        mine = [r for r in roots if r[1] == project]
        starts = [int(r[2]) for r in mine]
        params = {
            "project": project,
            "trace_ids": [str(r[0]) for r in mine],
            "lo": min(starts) - 60_000_000_000,
            "hi": max(starts) + slack_ns,
        }
        for row in await ch.rows(_AGGREGATE_SUMMARY if summary else _AGGREGATE, params):
            aggregates[(project, str(row[0]))] = row
    costs, alerts = await _costs_and_alerts(ch, roots)
    out: list[TraceSummary] = []
    for trace_id, project, start_ns, duration, name, service in roots:
        agg = aggregates.get((project, trace_id), (trace_id, 1, 0, 0, False, "", "", []))
        out.append(
            TraceSummary(
                trace_id=trace_id,
                project_id=project,
                root_span_name=name,
                service_name=service,
                start_time=from_ns(start_ns),
                duration_ms=int(duration) / 1e6,
                span_count=int(agg[1]),
                input_tokens=int(agg[2]),
                output_tokens=int(agg[3]),
                total_tokens=int(agg[2]) + int(agg[3]),
                cost_usd=float(costs.get(trace_id, 0.0)),
                error=bool(agg[4]),
                alert_count=int(alerts.get(trace_id, 0)),
                session_id=str(agg[5]),
                user_id=str(agg[6]),
                models=[str(m) for m in agg[7]],
            )
        )
    return out


async def _costs_and_alerts(
    ch: ClickHouse, roots: Sequence[tuple[Any, ...]]
) -> tuple[dict[str, float], dict[str, int]]:
    params = {"projects": sorted({str(r[1]) for r in roots}), "trace_ids": [str(r[0]) for r in roots]}
    costs: dict[str, float] = {}
    alerts: dict[str, int] = {}
    csrc = await cost_source(ch)
    if csrc is not None:
        costs = {str(r[0]): float(r[1]) for r in await ch.rows(trace_costs_sql(csrc), params)}
    asrc = await alert_source(ch)
    if asrc is not None:
        alerts = {str(r[0]): int(r[1]) for r in await ch.rows(alert_counts_sql(asrc), params)}
    return costs, alerts


async def has_summaries(ch: ClickHouse) -> bool:
    """True if the per-trace tables exist (created by :func:`agentstate.processors.summary_schema.ensure`)."""
    return set(TABLES) <= await ch.tables()


async def list_traces(
    ch: ClickHouse, projects: list[str], query: TraceQuery, window: tuple[int, int], slack_ns: int
) -> TracePage:
    """Run both phases and return one page."""
    cursor = decode_cursor(query.cursor, {"v": int, "t": str})
    from_ns_, to_ns_ = window
    if cursor is not None and query.sort == "start":
        # Keyset on start time also narrows the window, so later pages prune as well as the first.
        if query.order == "desc":
            to_ns_ = min(to_ns_, int(cursor["v"]) + 1)
        else:
            from_ns_ = max(from_ns_, int(cursor["v"]))
    csrc = await cost_source(ch) if query.min_cost is not None else None
    summary = await has_summaries(ch)
    sql, params = page_sql(query, cursor, csrc, summary)
    params.update(
        projects=projects, from_ns=from_ns_, to_ns=to_ns_, span_to_ns=to_ns_ + slack_ns, sum_from_ns=from_ns_ - slack_ns
    )
    roots, seen = [], set()
    for r in await ch.rows(sql, params):
        if (r[0], r[1]) not in seen:  # a redelivered root span can exist twice until merge
            seen.add((r[0], r[1]))
            roots.append((str(r[0]), str(r[1]), int(r[2]), int(r[3]), str(r[4]), str(r[5])))
    more = len(roots) > query.limit
    roots = roots[: query.limit]
    items = await summarise(ch, roots, slack_ns, summary)
    next_cursor = None
    if more and roots:
        last = roots[-1]
        next_cursor = encode_cursor({"v": last[2] if query.sort == "start" else last[3], "t": last[0]})
    return TracePage(items=items, next_cursor=next_cursor)
