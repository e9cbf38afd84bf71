"""``GET /alerts`` and acknowledgement. Alerts live in ClickHouse; acknowledgements in the SQL store."""

from __future__ import annotations

from typing import Any

from agentstate.api.chstore import ClickHouse
from agentstate.api.outputs import ALERT_TABLE, alert_select, alert_source
from agentstate.api.params import AlertQuery, decode_cursor, encode_cursor, from_ns
from agentstate.api.trace_models import AlertOut, AlertPage


def _row(r: tuple[Any, ...], acks: dict[str, str]) -> AlertOut:
    alert_id = str(r[0])
    return AlertOut(
        alert_id=alert_id,
        project_id=str(r[1]),
        time=from_ns(int(r[2])),
        trace_id=str(r[3]),
        span_id=str(r[4]),
        rule_id=str(r[5]),
        severity=str(r[6]).lower(),
        title=str(r[7]),
        detail=str(r[8]),
        acknowledged=alert_id in acks,
        acknowledged_at=acks.get(alert_id),
    )


async def list_alerts(
    ch: ClickHouse, projects: list[str], query: AlertQuery, window: tuple[int, int], acks: dict[str, str]
) -> AlertPage:
    """Alerts in the window, newest first; ``acks`` are the acknowledged alert IDs of these projects."""
    src = await alert_source(ch)
    if src is None:
        return AlertPage(items=[], next_cursor=None)
    t = f"toUnixTimestamp64Nano(toDateTime64(`{src.time}`, 9))"
    where = ["ProjectId IN {projects:Array(String)}", f"{t} >= {{from_ns:Int64}}", f"{t} < {{to_ns:Int64}}"]
    params: dict[str, Any] = {
        "projects": projects,
        "from_ns": window[0],
        "to_ns": window[1],
        "limit": query.limit + 1,
        "acked": sorted(acks),
    }
    if query.severity is not None and src.has_severity:
        where.append("lower(toString(Severity)) = {severity:String}")
        params["severity"] = query.severity
    if query.rule_id is not None:
        where.append(f"toString(`{src.rule}`) = {{rule_id:String}}")
        params["rule_id"] = query.rule_id
    if query.trace_id is not None:
        where.append("TraceId = {trace_id:String}")
        params["trace_id"] = query.trace_id
    if query.acknowledged is not None:
        where.append(("" if query.acknowledged else "NOT ") + f"toString(`{src.id}`) IN {{acked:Array(String)}}")
    cursor = decode_cursor(query.cursor, {"v": int, "i": str})
    if cursor is not None:
        where.append(f"({t}, toString(`{src.id}`)) < ({{cv:Int64}}, {{ci:String}})")
        params.update(cv=cursor["v"], ci=cursor["i"])
    sql = (
        f"SELECT {alert_select(src)} FROM {{db}}.{ALERT_TABLE} WHERE {' AND '.join(where)} "  # nosec B608  # noqa: S608
        f"ORDER BY {t} DESC, toString(`{src.id}`) DESC LIMIT 1 BY toString(`{src.id}`) LIMIT {{limit:UInt32}}"
    )
    rows = await ch.rows(sql, params)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    items = [_row(r, acks) for r in rows]
    next_cursor = encode_cursor({"v": int(rows[-1][2]), "i": str(rows[-1][0])}) if more and rows else None
    return AlertPage(items=items, next_cursor=next_cursor)


async def alert_project(ch: ClickHouse, projects: list[str], alert_id: str) -> str | None:
    """The project (among ``projects``) of an alert, or None."""
    src = await alert_source(ch)
    if src is None:
        return None
    sql = (
        f"SELECT ProjectId FROM {{db}}.{ALERT_TABLE} WHERE ProjectId IN {{projects:Array(String)}} "  # nosec B608  # noqa: S608
        f"AND toString(`{src.id}`) = {{alert_id:String}} LIMIT 1"
    )
    rows = await ch.rows(sql, {"projects": projects, "alert_id": alert_id})
    return str(rows[0][0]) if rows else None
