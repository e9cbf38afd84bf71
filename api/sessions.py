"""``GET /sessions`` and ``/sessions/{id}``: conversations (threads) across traces."""

from __future__ import annotations

from typing import Any

from agentstate.api.chstore import ClickHouse
from agentstate.api.outputs import COST_TABLE, cost_source
from agentstate.api.params import SessionQuery, decode_cursor, encode_cursor, from_ns
from agentstate.api.trace_list import SCOPE
from agentstate.api.trace_models import SessionPage, SessionSummary

_SESSION_TRACES = (
    "SELECT DISTINCT ProjectId, SessionId, TraceId FROM {db}.otel_traces "  # nosec B608  # noqa: S608
    f"WHERE {SCOPE} AND SessionId != '' {{extra}}"
)
"""The traces of each session: those with at least one span carrying ``session.id`` (often only the root)."""

_LIST = (
    "SELECT s.SessionId, s.ProjectId, anyIf(t.UserId, t.UserId != ''), "  # nosec B608  # noqa: S608
    "min(toUnixTimestamp64Nano(t.Timestamp)), max(toUnixTimestamp64Nano(t.Timestamp)) AS last, "
    "uniqExact(t.TraceId), uniqExact(t.SpanId), sum(t.InputTokens), sum(t.OutputTokens), "
    "countIf(t.StatusCode = 'Error') "
    f"FROM {{db}}.otel_traces AS t INNER JOIN ({_SESSION_TRACES}) AS s "
    "ON t.ProjectId = s.ProjectId AND t.TraceId = s.TraceId "
    "WHERE t.ProjectId IN {projects:Array(String)} "
    "GROUP BY s.ProjectId, s.SessionId {having} ORDER BY last DESC, s.SessionId DESC LIMIT {limit:UInt32}"
)
"""Session totals over *every* span of the session's traces: the tokens, cost and errors of a run sit on
its child LLM and tool spans, which rarely repeat ``session.id``."""


async def _session_costs(
    ch: ClickHouse, projects: list[str], window: tuple[int, int], sessions: list[str]
) -> dict[str, float]:
    src = await cost_source(ch)
    if src is None or not sessions:
        return {}
    traces = _SESSION_TRACES.replace("{extra}", "AND SessionId IN {sessions:Array(String)}")
    spans = (
        "SELECT DISTINCT t.SpanId AS SpanId, s.SessionId AS SessionId FROM {db}.otel_traces AS t "  # nosec B608  # noqa: S608
        f"INNER JOIN ({traces}) AS s ON t.ProjectId = s.ProjectId AND t.TraceId = s.TraceId "
        "WHERE t.ProjectId IN {projects:Array(String)}"
    )
    sql = (
        f"SELECT s.SessionId, sum(c.cost) FROM (SELECT SpanId, any(`{src.cost}`) AS cost "  # nosec B608  # noqa: S608
        f"FROM {{db}}.{COST_TABLE} WHERE ProjectId IN {{projects:Array(String)}} GROUP BY SpanId) AS c "
        f"INNER JOIN ({spans}) AS s ON c.SpanId = s.SpanId GROUP BY s.SessionId"
    )
    rows = await ch.rows(sql, {"projects": projects, "from_ns": window[0], "to_ns": window[1], "sessions": sessions})
    return {str(r[0]): float(r[1]) for r in rows}


def _summary(row: tuple[Any, ...], cost: float) -> SessionSummary:
    return SessionSummary(
        session_id=str(row[0]),
        project_id=str(row[1]),
        user_id=str(row[2]),
        first_seen=from_ns(int(row[3])),
        last_seen=from_ns(int(row[4])),
        trace_count=int(row[5]),
        span_count=int(row[6]),
        input_tokens=int(row[7]),
        output_tokens=int(row[8]),
        error_count=int(row[9]),
        cost_usd=cost,
    )


async def list_sessions(
    ch: ClickHouse, projects: list[str], query: SessionQuery, window: tuple[int, int]
) -> SessionPage:
    """Sessions active in the window, most recent activity first, keyset-paginated."""
    cursor = decode_cursor(query.cursor, {"v": int, "s": str})
    params: dict[str, Any] = {"projects": projects, "from_ns": window[0], "to_ns": window[1], "limit": query.limit + 1}
    extra, having = "", ""
    if query.user_id is not None:
        extra = "AND UserId = {user_id:String}"
        params["user_id"] = query.user_id
    if cursor is not None:
        having = "HAVING (last, s.SessionId) < ({cv:Int64}, {cs:String})"
        params.update(cv=cursor["v"], cs=cursor["s"])
    rows = await ch.rows(_LIST.replace("{extra}", extra).replace("{having}", having), params)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    costs = await _session_costs(ch, projects, window, [str(r[0]) for r in rows])
    items = [_summary(r, costs.get(str(r[0]), 0.0)) for r in rows]
    next_cursor = encode_cursor({"v": int(rows[-1][4]), "s": str(rows[-1][0])}) if more and rows else None
    return SessionPage(items=items, next_cursor=next_cursor)


async def get_session(
    ch: ClickHouse, projects: list[str], session_id: str, window: tuple[int, int]
) -> SessionSummary | None:
    """One session's summary (in the first project that has it), or None."""
    sql = _LIST.replace("{extra}", "AND SessionId = {session_id:String}").replace("{having}", "")
    rows = await ch.rows(
        sql, {"projects": projects, "from_ns": window[0], "to_ns": window[1], "session_id": session_id, "limit": 1}
    )
    if not rows:
        return None
    costs = await _session_costs(ch, [str(rows[0][1])], window, [session_id])
    return _summary(rows[0], costs.get(session_id, 0.0))
