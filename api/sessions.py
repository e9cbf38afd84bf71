"""``GET /sessions`` and ``/sessions/{id}``: conversations (threads) across traces."""

from __future__ import annotations

from typing import Any

from agentstate.api.chstore import ClickHouse
from agentstate.api.outputs import COST_TABLE, cost_source
from agentstate.api.params import SessionQuery, decode_cursor, encode_cursor, from_ns
from agentstate.api.trace_list import SCOPE
from agentstate.api.trace_models import SessionPage, SessionSummary

_LIST = ("SELECT SessionId, ProjectId, anyIf(UserId, UserId != ''), min(toUnixTimestamp64Nano(Timestamp)), "  # nosec B608  # noqa: S608
         "max(toUnixTimestamp64Nano(Timestamp)) AS last, uniqExact(TraceId), uniqExact(SpanId), "
         "sum(InputTokens), sum(OutputTokens), countIf(StatusCode = 'Error') "
         f"FROM {{db}}.otel_traces WHERE {SCOPE} AND SessionId != '' {{extra}} "
         "GROUP BY ProjectId, SessionId {having} ORDER BY last DESC, SessionId DESC LIMIT {limit:UInt32}")


async def _session_costs(ch: ClickHouse, projects: list[str], window: tuple[int, int],
                         sessions: list[str]) -> dict[str, float]:
    src = await cost_source(ch)
    if src is None or not sessions:
        return {}
    sql = (f"SELECT s.SessionId, sum(c.cost) FROM (SELECT SpanId, any(`{src.cost}`) AS cost "  # nosec B608  # noqa: S608
           f"FROM {{db}}.{COST_TABLE} WHERE ProjectId IN {{projects:Array(String)}} GROUP BY SpanId) AS c "
           "INNER JOIN (SELECT DISTINCT SpanId, SessionId FROM {db}.otel_traces WHERE " + SCOPE +
           " AND SessionId IN {sessions:Array(String)}) AS s ON c.SpanId = s.SpanId GROUP BY s.SessionId")
    rows = await ch.rows(sql, {"projects": projects, "from_ns": window[0], "to_ns": window[1], "sessions": sessions})
    return {str(r[0]): float(r[1]) for r in rows}


def _summary(row: tuple[Any, ...], cost: float) -> SessionSummary:
    return SessionSummary(
        session_id=str(row[0]), project_id=str(row[1]), user_id=str(row[2]), first_seen=from_ns(int(row[3])),
        last_seen=from_ns(int(row[4])), trace_count=int(row[5]), span_count=int(row[6]),
        input_tokens=int(row[7]), output_tokens=int(row[8]), error_count=int(row[9]), cost_usd=cost,
    )


async def list_sessions(ch: ClickHouse, projects: list[str], query: SessionQuery,
                        window: tuple[int, int]) -> SessionPage:
    """Sessions active in the window, most recent activity first, keyset-paginated."""
    cursor = decode_cursor(query.cursor, {"v": int, "s": str})
    params: dict[str, Any] = {"projects": projects, "from_ns": window[0], "to_ns": window[1],
                              "limit": query.limit + 1}
    extra, having = "", ""
    if query.user_id is not None:
        extra = "AND UserId = {user_id:String}"
        params["user_id"] = query.user_id
    if cursor is not None:
        having = "HAVING (last, SessionId) < ({cv:Int64}, {cs:String})"
        params.update(cv=cursor["v"], cs=cursor["s"])
    rows = await ch.rows(_LIST.replace("{extra}", extra).replace("{having}", having), params)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    costs = await _session_costs(ch, projects, window, [str(r[0]) for r in rows])
    items = [_summary(r, costs.get(str(r[0]), 0.0)) for r in rows]
    next_cursor = encode_cursor({"v": int(rows[-1][4]), "s": str(rows[-1][0])}) if more and rows else None
    return SessionPage(items=items, next_cursor=next_cursor)


async def get_session(ch: ClickHouse, projects: list[str], session_id: str,
                      window: tuple[int, int]) -> SessionSummary | None:
    """One session's summary (in the first project that has it), or None."""
    sql = _LIST.replace("{extra}", "AND SessionId = {session_id:String}").replace("{having}", "")
    rows = await ch.rows(sql, {"projects": projects, "from_ns": window[0], "to_ns": window[1],
                               "session_id": session_id, "limit": 1})
    if not rows:
        return None
    costs = await _session_costs(ch, [str(rows[0][1])], window, [session_id])
    return _summary(rows[0], costs.get(session_id, 0.0))
