"""Read-only access to ClickHouse for the query routes.

clickhouse-connect's chDB client is synchronous, and in embedded mode the API shares the writer's
event loop, so every query runs in a worker thread. Queries are templates over ``{db}`` (a validated
identifier from settings) with ClickHouse server-side parameters (``{name:Type}``) for every value
that comes from a request; no request string is ever formatted into SQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from clickhouse_connect.driver.client import Client

_QUERY_SETTINGS = {"max_execution_time": 30, "max_result_rows": 200_000, "result_overflow_mode": "throw"}
_TABLE_CACHE_SECONDS = 30.0


class ClickHouse:
    """Runs parameterised, read-only queries against the ``agentstate`` tables."""

    def __init__(self, client: Client, database: str) -> None:
        self._client = client
        self.database = database
        self._tables: tuple[float, frozenset[str]] = (0.0, frozenset())

    def render(self, template: str) -> str:
        """Qualify table names: ``{db}`` becomes the database identifier (never user input)."""
        return template.replace("{db}", f"`{self.database}`")

    def _run(self, template: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        result = self._client.query(self.render(template), parameters=dict(params), settings=_QUERY_SETTINGS)
        return [tuple(r) for r in result.result_rows]

    async def rows(self, template: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a query in a worker thread and return its rows."""
        return await asyncio.to_thread(self._run, template, params)

    async def tables(self) -> frozenset[str]:
        """Names of the tables in the database (cached briefly; processors add theirs later)."""
        at, names = self._tables
        if time.monotonic() - at > _TABLE_CACHE_SECONDS or not names:
            rows = await self.rows("SELECT name FROM system.tables WHERE database = {d:String}", {"d": self.database})
            names = frozenset(str(r[0]) for r in rows)
            self._tables = (time.monotonic(), names)
        return names

    async def columns(self, table: str) -> frozenset[str]:
        """Column names of ``table`` (empty when it does not exist)."""
        if table not in await self.tables():
            return frozenset()
        rows = await self.rows(
            "SELECT name FROM system.columns WHERE database = {d:String} AND table = {t:String}",
            {"d": self.database, "t": table},
        )
        return frozenset(str(r[0]) for r in rows)

    async def ping(self) -> bool:
        """True if ClickHouse answers."""
        try:
            return bool(await self.rows("SELECT 1", {}))
        except Exception:
            return False
