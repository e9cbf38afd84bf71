"""``agentstate worker security|cost``: span processors in their own consumer groups.

Each reads ``spans.normalized`` in its own group (so a slow or crashing one never delays the writer
or the other): the spans the writer decoded and normalised once, as Arrow columns
(:mod:`span_batch`). It runs pure logic over the read and publishes rows to an output stream that the
writer persists. A crash before the publish leaves the entries pending (redelivered on restart); a
crash after it republishes rows that the ReplacingMergeTree tables collapse.

The security worker keeps loop counts and its one-alert-per-trace decisions in Redis
(``global_state.py``), one pipelined round trip per read for each, so any number of replicas
raise each alert once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pyarrow as pa
from redis.asyncio import Redis

from agentstate.processors import arrow_rows, cost_batch, span_batch
from agentstate.processors.budget_config import load_budgets, refresh_budgets
from agentstate.processors.consumer import Entry, PermanentError, StreamConsumer, redis_client
from agentstate.processors.detectors.alert import stamp
from agentstate.processors.detectors.budgets import BudgetTracker
from agentstate.processors.detectors.engine import SecurityEngine
from agentstate.processors.gc_tuning import cyclic_gc_paused, tune_gc
from agentstate.processors.global_state import RedisTraceState, TraceState, decide_proposals
from agentstate.processors.normalize import normalize
from agentstate.processors.price_overrides import load_overrides
from agentstate.processors.pricing import PriceBook, SpanRef
from agentstate.processors.rows import alert_row
from agentstate.processors.settings import WorkerSettings
from agentstate.processors.span_batch import Item
from agentstate.semconv import streams as S

log = logging.getLogger(__name__)

Output = list[tuple[str, dict[str, Any] | pa.Table]]
"""``(stream, row)`` pairs produced for one read; a table is many rows, published as Arrow."""
_CHUNK = 500
_ARROW_CHUNK = 10_000
"""Rows per entry: JSON rows and Arrow rows (at most ~1 MB either way)."""
TableLogic = Callable[[pa.Table], Awaitable[Output]]
"""Async logic over the normalised columns of one read (may talk to Redis)."""


class SpanProcessor(StreamConsumer):
    """Runs ``process`` on the normalised spans of each read and publishes what it returns."""

    def __init__(
        self, redis: Redis, group: str, consumer: str, process: TableLogic, *, content: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(redis, S.NORMALIZED_STREAM, group, consumer, **kwargs)
        self.process = process
        self.content = content
        self.spans_seen = 0

    async def handle(self, entries: list[Entry]) -> None:
        """Process every span of the read; publish the rows before returning (then the base class acks)."""
        table = _decode(entries, content=self.content)
        with cyclic_gc_paused():
            produced = await self.process(table)
        self.spans_seen += table.num_rows
        out: dict[str, list[dict[str, Any]]] = {}
        for stream, row in produced:
            if isinstance(row, pa.Table):
                for i in range(0, row.num_rows, _ARROW_CHUNK):
                    rows_ipc = arrow_rows.dumps(row.slice(i, _ARROW_CHUNK))
                    await self.redis.xadd(stream, {S.FIELD_ARROW: S.unpacked(rows_ipc)})
            else:
                out.setdefault(stream, []).append(row)
        for stream, rows in out.items():
            for i in range(0, len(rows), _CHUNK):
                await self.redis.xadd(stream, {S.FIELD_ROWS: orjson.dumps(rows[i : i + _CHUNK])})


def _decode(entries: list[Entry], *, content: bool) -> pa.Table:
    bodies = []
    for eid, fields in entries:
        body = fields.get(S.FIELD_BODY)
        if body is None:
            raise PermanentError(f"entry {eid.decode()} lacks the body field")
        bodies.append(body)
    try:
        return span_batch.from_ipc(bodies, content=content)
    except (pa.ArrowInvalid, OSError) as exc:
        raise PermanentError(f"undecodable normalised batch: {exc}") from exc


def security_batch(engine: SecurityEngine) -> Callable[[list[Item]], Output]:
    """Batch logic of one security engine: the batch's texts are scored together, then each span."""

    def process(items: list[Item]) -> Output:
        return [(S.ALERTS_STREAM, alert_row(row)) for row in engine.evaluate_batch(items)]

    return process


def security_read(engine: SecurityEngine, state: TraceState) -> TableLogic:
    """Read logic of a security replica: detect over the whole read, decide in ``state`` (Redis)."""

    async def process(table: pa.Table) -> Output:
        costs = cost_batch.usd(table, engine.prices) if engine.config.anomalies else None
        rows = await decide_proposals(engine, state, engine.propose_read(table, costs))
        return [(S.ALERTS_STREAM, alert_row(row)) for row in rows]

    return process


def _warm_up(engine: SecurityEngine) -> None:
    """Load the detectors' models and compiled patterns before joining the group.

    A replica that joins cold spends its first read loading them while the others take the
    traffic; a throw-away engine keeps the real one's baselines untouched.
    """
    text = '[{"role": "user", "parts": [{"type": "text", "content": "warm up"}]}]'
    span = normalize({"gen_ai.operation.name": "chat", "gen_ai.input.messages": text}, "chat")
    engine.propose_batch([(SpanRef("", "", "", 0, ""), span, None)])


def cost_read(book: PriceBook, budgets: BudgetTracker) -> TableLogic:
    """Read logic of the cost calculator: model calls picked by one vectorised filter, priced per batch.

    Each distinct model and minute of the read is quoted once (``genai-prices``: cache and
    reasoning prices, prices over time) and the costs are Arrow arithmetic (``cost_batch.py``); calls
    with tiered prices go through :func:`~.pricing.compute_cost`. Rows become Python objects for
    the budgets only when budgets are set.
    """

    async def process(table: pa.Table) -> Output:
        costs = cost_batch.cost_table(span_batch.model_calls(table), book, time.time_ns())
        if costs is None:
            return []
        out: Output = [(S.COSTS_STREAM, cost_batch.for_insert(costs))]
        if budgets.budgets:
            for row in cost_batch.spend(costs.to_pylist()):
                for alert in budgets.add(row):
                    stamped = stamp(alert, row.project_id, row.trace_id, row.span_id, row.start_time_unix_nano)
                    out.append((S.ALERTS_STREAM, alert_row(stamped)))
        return out

    return process


def build(kind: str, redis: Redis, settings: WorkerSettings, budgets: BudgetTracker | None = None) -> SpanProcessor:
    """The consumer for ``kind`` ('security' or 'cost'; ``budgets``: the cost calculator's tracker)."""
    common: dict[str, Any] = {
        "batch_entries": settings.batch_entries,
        "batch_bytes": settings.batch_bytes,
        "claim_idle_ms": int(settings.claim_idle_seconds * 1000),
        "max_deliveries": settings.max_deliveries,
    }
    book = PriceBook(load_overrides())
    if kind == "security":
        engine = SecurityEngine(prices=book)
        _warm_up(SecurityEngine(prices=book))
        return SpanProcessor(
            redis, S.SECURITY_GROUP, settings.consumer_name, security_read(engine, RedisTraceState(redis)), **common
        )
    if kind == "cost":
        return SpanProcessor(
            redis,
            S.COST_GROUP,
            settings.consumer_name,
            cost_read(book, budgets or BudgetTracker(())),
            content=False,  # prices need no message: those columns are not even decompressed
            **common,
        )
    raise ValueError(f"unknown worker kind {kind!r}")


async def run(kind: str, settings: WorkerSettings, stop: asyncio.Event) -> None:
    """Run one span processor until ``stop`` (set by the CLI on SIGTERM/SIGINT)."""
    if settings.nice:
        os.nice(settings.nice)
    redis = redis_client(settings.redis_url)
    tune_gc()
    tracker, tasks = None, []
    if kind == "cost":
        seed = load_budgets()
        tracker = BudgetTracker(seed)
        tasks.append(asyncio.create_task(refresh_budgets(redis, tracker, seed, stop)))
    async with build(kind, redis, settings, tracker) as consumer:
        log.info("%s worker running (consumer %s)", kind, settings.consumer_name)
        await stop.wait()
    await asyncio.gather(*tasks, return_exceptions=True)
    log.info("%s worker stopped after %d spans", kind, consumer.spans_seen)
    await redis.aclose()
