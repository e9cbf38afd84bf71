"""Cost budgets per project: stored in the relational store, mirrored to Redis for the cost workers.

The SQL table is the truth (like ingest keys); :data:`~agentstate.semconv.streams.BUDGETS_HASH` is
the mirror the cost calculator re-reads every few seconds, rewritten after every change and at API
start. Spend against each budget is read from ``cost_metrics`` (one cost per span, deduplicated).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis

from agentstate.api.chstore import ClickHouse
from agentstate.api.outputs import COST_TABLE, cost_source
from agentstate.api.sqldb import Database
from agentstate.semconv.streams import BUDGETS_HASH

_SELECT = "SELECT id, project_id, scope, limit_usd, period, budget_key, severity, created_by, created_at FROM budgets"


@dataclass(frozen=True)
class BudgetRecord:
    """One budget as stored (``key``: one user or session ID, or None for each one separately)."""

    id: str
    project_id: str
    scope: str
    limit_usd: str
    period: str
    key: str | None
    severity: str
    created_by: str | None
    created_at: str

    def mirror(self) -> str:
        """The JSON the cost workers read (the fields of a processors ``Budget``)."""
        doc = {k: v for k, v in asdict(self).items() if k not in ("created_by", "created_at")}
        return json.dumps(doc, sort_keys=True)


def _record(r: Any) -> BudgetRecord:
    return BudgetRecord(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5], str(r[6]), r[7], str(r[8]))


def create(
    db: Database,
    project_id: str,
    scope: str,
    limit_usd: Decimal,
    period: str,
    key: str | None,
    severity: str,
    created_by: str | None,
) -> BudgetRecord:
    """Store a new budget."""
    record = BudgetRecord(
        uuid.uuid4().hex,
        project_id,
        scope,
        str(limit_usd),
        period,
        key,
        severity,
        created_by,
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    with db.tx() as t:
        t.execute(
            "INSERT INTO budgets (id, project_id, scope, limit_usd, period, budget_key, severity, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tuple(asdict(record).values()),
        )
    return record


def list_for(db: Database, project_id: str | None = None) -> list[BudgetRecord]:
    """A project's budgets (every project's when ``None``), oldest first."""
    if project_id is None:
        rows = db.fetch(_SELECT + " ORDER BY created_at, id")
    else:
        rows = db.fetch(_SELECT + " WHERE project_id = ? ORDER BY created_at, id", (project_id,))
    return [_record(r) for r in rows]


def delete(db: Database, project_id: str, budget_id: str) -> bool:
    """Delete a budget of ``project_id``; False if there is none with that ID."""
    with db.tx() as t:
        return bool(t.execute("DELETE FROM budgets WHERE id = ? AND project_id = ?", (budget_id, project_id)))


async def mirror(db: Database, redis: Redis) -> int:
    """Rewrite the Redis mirror from SQL (one MULTI: the workers never read a half-written set)."""
    records = list_for(db)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(BUDGETS_HASH)
        if records:
            pipe.hset(BUDGETS_HASH, mapping={r.id: r.mirror() for r in records})
        await pipe.execute()
    return len(records)


@dataclass(frozen=True)
class Spend:
    """Spend against one budget in its current period: ``key`` is whose (per-user/session budgets)."""

    usd: float
    key: str | None


def _today_ns() -> int:
    now = datetime.now(timezone.utc)
    return int(datetime(now.year, now.month, now.day, tzinfo=timezone.utc).timestamp()) * 1_000_000_000


_SCOPE_COLUMN = {"user": "UserId", "session": "SessionId"}


async def spend(ch: ClickHouse, budget: BudgetRecord) -> Spend:
    """Spend in the budget's current period: today (UTC) or the whole session; the top spender for
    budgets counted per user or session without a fixed key."""
    src = await cost_source(ch)
    if src is None:
        return Spend(0.0, None)
    params: dict[str, Any] = {"project": budget.project_id, "from_ns": _today_ns() if budget.period == "day" else 0}
    column = _SCOPE_COLUMN.get(budget.scope)
    group = column or "ProjectId"
    where = "ProjectId = {project:String} AND Timestamp >= fromUnixTimestamp64Nano({from_ns:Int64})"
    if column is not None:
        where += f" AND {column} != ''"
        if budget.key is not None:
            where += f" AND {column} = {{key:String}}"
            params["key"] = budget.key
    per_span = (
        f"SELECT any({group}) AS who, any(`{src.cost}`) AS cost FROM {{db}}.{COST_TABLE} "  # nosec B608  # noqa: S608
        f"WHERE {where} GROUP BY SpanId"
    )
    sql = f"SELECT who, sum(cost) AS s FROM ({per_span}) GROUP BY who ORDER BY s DESC LIMIT 1"  # nosec B608  # noqa: S608
    rows = await ch.rows(sql, params)
    if not rows:
        return Spend(0.0, None)
    return Spend(float(rows[0][1]), str(rows[0][0]) if column is not None else None)
