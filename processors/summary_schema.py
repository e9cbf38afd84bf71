"""Per-trace tables fed by materialized views on ``otel_traces``: what the trace list reads.

Listing traces from raw spans means scanning every span in the window (root spans for the page, and
one pass per span-level filter). Three narrow tables, filled by materialized views at insert time,
replace those scans:

* ``trace_roots`` — the root spans only (``ParentSpanId = ''``), ten times fewer rows than
  ``otel_traces``, sorted by ``(ProjectId, Timestamp)`` so the newest page is read in order. A
  ``ReplacingMergeTree`` like ``otel_traces``: a redelivered root collapses on merge, and the list
  drops not-yet-merged duplicates.
* ``trace_summary`` — one row per ``(ProjectId, TraceId)`` per insert block, merged by an
  ``AggregatingMergeTree``: first span time, models, sessions and users, an error flag, and
  per-span token counts (what a page shows for each trace). Every column aggregates *idempotently*
  (min, max, set union, and ``maxMap`` keyed by SpanId for tokens), so a span inserted twice —
  redelivery, or the one-off backfill overlapping the view — changes nothing: counts and token sums
  stay exact.
  Readers still ``GROUP BY`` (parts may be unmerged). The price of exact tokens is the span-id map
  (about one span ID and two integers per span); a plain ``sum`` would be smaller but double counts.
* ``trace_facets`` — an inverted index: one row per (trace, facet, value), e.g. ``('service',
  'checkout')`` or ``('status', 'error')``, sorted by ``(ProjectId, Facet, Value, hour)`` so a filter
  reads only the traces that match it. Membership is idempotent, so duplicates change no answer.

``ddl`` is idempotent; ``ensure`` also backfills from ``otel_traces`` when the tables are new.

The three tables merge with :data:`MERGE_SELECTOR_BASE` instead of ClickHouse's 5. Each insert into
``otel_traces`` adds one small part to each of them, and ClickHouse's merge selector, for parts under
about 1 MiB, merges the new part into the table's only other part at once: the whole table rewritten
on every insert (write amplification ~10× on facets, ~90× on summaries). Measured in process with
chDB (100 inserts of 10,000 bench spans, CPU until no merge is left): 33.9–35.7 µs of chDB CPU per
span with the default, 28.0 with these tables' merges stopped, 30.1 at base 20 or 50 (parts left:
1–18 per table; merged rows 12.9 M → 4.4–4.9 M), 32.9 with ``min_parts_to_merge_at_once = 10``,
29.5 with the experimental ``Trivial`` selector. Readers ``GROUP BY`` or drop duplicates anyway, so a
few more parts cost them little.
"""

from __future__ import annotations

import logging

from clickhouse_connect.driver.client import Client

from agentstate.processors.cluster_ddl import clusterize
from agentstate.semconv.tables import TRACE_FACETS_TABLE, TRACE_ROOTS_TABLE, TRACE_SUMMARY_TABLE, TRACE_TABLES

log = logging.getLogger(__name__)

ROOTS_TABLE = TRACE_ROOTS_TABLE
SUMMARY_TABLE = TRACE_SUMMARY_TABLE
FACETS_TABLE = TRACE_FACETS_TABLE
TABLES = TRACE_TABLES

MERGE_SELECTOR_BASE = 50
"""``merge_selector_base`` of the per-trace tables (ClickHouse's default is 5; see the module docstring)."""

_ROOTS_SELECT = """SELECT ProjectId, Timestamp, TraceId, SpanId, Duration, SpanName, ServiceName
FROM {db}.otel_traces WHERE ParentSpanId = '' AND TraceId != ''"""

_SUMMARY_SELECT = """SELECT ProjectId, TraceId, toDate(min(Timestamp)) AS Day, min(Timestamp) AS Start,
    maxMap(([SpanId], [InputTokens], [OutputTokens])) AS Spans,
    max(toUInt8(StatusCode = 'Error')) AS Error,
    groupUniqArrayIf(GenAiRequestModel, GenAiRequestModel != '') AS RequestModels,
    groupUniqArrayIf(SessionId, SessionId != '') AS Sessions,
    groupUniqArrayIf(UserId, UserId != '') AS Users
FROM {db}.otel_traces WHERE TraceId != '' GROUP BY ProjectId, TraceId"""

FACETS: dict[str, str] = {
    "service": "toString(ServiceName)",
    "model": "toString(GenAiRequestModel)",
    "response_model": "toString(GenAiResponseModel)",
    "agent": "toString(AgentName)",
    "session": "SessionId",
    "user": "UserId",
    "status": "if(StatusCode = 'Error', 'error', '')",
}
"""Trace facets a list can be filtered by: name -> the span's value (empty: no facet)."""

_FACETS_SELECT = f"""SELECT ProjectId, f.1 AS Facet, f.2 AS Value, min(Timestamp) AS Start, TraceId
FROM {{db}}.otel_traces
ARRAY JOIN [{", ".join(f"('{k}', {v})" for k, v in FACETS.items())}] AS f
WHERE TraceId != '' AND f.2 != ''
GROUP BY ProjectId, Facet, Value, TraceId"""  # nosec B608 - built from constants  # noqa: S608


def _ttl(column: str, days: int) -> str:
    return f"TTL toDateTime({column}) + toIntervalDay({days})" if days > 0 else ""


def ddl(database: str, retention_days: int = 0) -> list[str]:
    """Idempotent DDL of the per-trace tables and their views (after ``otel_traces`` exists).

    ``database`` comes from validated settings (an identifier), never from a request.
    """
    db = f"`{database}`"
    return [
        f"""CREATE TABLE IF NOT EXISTS {db}.{ROOTS_TABLE} (
    ProjectId LowCardinality(String),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ProjectId, Timestamp, TraceId, SpanId)
{_ttl("Timestamp", retention_days)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, merge_selector_base = {MERGE_SELECTOR_BASE}""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{ROOTS_TABLE}_mv TO {db}.{ROOTS_TABLE}
AS {_ROOTS_SELECT.replace("{db}", db)}""",
        f"""CREATE TABLE IF NOT EXISTS {db}.{SUMMARY_TABLE} (
    ProjectId LowCardinality(String),
    TraceId String CODEC(ZSTD(1)),
    Day Date,
    Start SimpleAggregateFunction(min, DateTime64(9)),
    Spans SimpleAggregateFunction(maxMap, Tuple(Array(String), Array(UInt64), Array(UInt64))),
    Error SimpleAggregateFunction(max, UInt8),
    RequestModels SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    Sessions SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    Users SimpleAggregateFunction(groupUniqArrayArray, Array(String))
) ENGINE = AggregatingMergeTree
PARTITION BY Day
ORDER BY (ProjectId, TraceId)
{_ttl("Day", retention_days)}
SETTINGS index_granularity = 1024, ttl_only_drop_parts = 1, merge_selector_base = {MERGE_SELECTOR_BASE}""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{SUMMARY_TABLE}_mv TO {db}.{SUMMARY_TABLE}
AS {_SUMMARY_SELECT.replace("{db}", db)}""",
        f"""CREATE TABLE IF NOT EXISTS {db}.{FACETS_TABLE} (
    ProjectId LowCardinality(String),
    Facet LowCardinality(String),
    Value String CODEC(ZSTD(1)),
    Start DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1))
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(Start)
ORDER BY (ProjectId, Facet, Value, toStartOfHour(Start), TraceId)
{_ttl("Start", retention_days)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, merge_selector_base = {MERGE_SELECTOR_BASE}""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{FACETS_TABLE}_mv TO {db}.{FACETS_TABLE}
AS {_FACETS_SELECT.replace("{db}", db)}""",
        # Tables created before the setting get it too.
        *(f"ALTER TABLE {db}.{t} MODIFY SETTING merge_selector_base = {MERGE_SELECTOR_BASE}" for t in TABLES),
    ]


def backfill(database: str) -> dict[str, str]:
    """Per table, the statement copying what ``otel_traces`` already holds into it (run once, when new).

    Overlap with rows a view has already copied is harmless: summary and facet rows aggregate
    idempotently, duplicate roots collapse on merge (and readers drop them meanwhile).
    """
    db = f"`{database}`"
    return {
        ROOTS_TABLE: f"INSERT INTO {db}.{ROOTS_TABLE} {_ROOTS_SELECT.replace('{db}', db)}",  # nosec B608 - identifier
        SUMMARY_TABLE: (
            f"INSERT INTO {db}.{SUMMARY_TABLE} (ProjectId, TraceId, Day, Start, Spans, Error, "  # nosec B608
            f"RequestModels, Sessions, Users) {_SUMMARY_SELECT.replace('{db}', db)}"
        ),
        FACETS_TABLE: (
            f"INSERT INTO {db}.{FACETS_TABLE} (ProjectId, Facet, Value, Start, TraceId) "  # nosec B608
            f"{_FACETS_SELECT.replace('{db}', db)}"
        ),
    }


def ensure(client: Client, database: str, retention_days: int = 0, cluster: str = "") -> None:
    """Create the tables and views if missing, backfilling each new table from ``otel_traces``.

    The views are created before the backfill, so no span inserted meanwhile is missed. With a
    ``cluster`` the backfill goes through the distributed tables, whose sharding key (the trace) puts
    each row on the shard that holds its trace's spans.
    """
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = {d:String} AND name IN {t:Array(String)}",
        parameters={"d": database, "t": list(TABLES)},
    ).result_rows
    new = [t for t in TABLES if t not in {str(r[0]) for r in rows}]
    statements = ddl(database, retention_days)
    for statement in clusterize(statements, cluster) if cluster else statements:
        client.command(statement)
    fill = backfill(database)
    for table in new:
        client.command(fill[table])
    if new:
        log.info("created and backfilled %s in %s", ", ".join(new), database)
