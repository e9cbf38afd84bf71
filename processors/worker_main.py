"""``agentstate worker security|cost``: span processors in their own consumer groups.

Each reads ``spans.ingest`` in its own group (so a slow or crashing one never delays the writer or
the other), runs pure logic per span, and publishes rows to an output stream that the writer
persists. A crash before the publish leaves the entries pending (redelivered on restart); a crash
after it republishes rows that the ReplacingMergeTree tables collapse.

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
from google.protobuf.message import DecodeError
from redis.asyncio import Redis

from agentstate.processors.budget_config import load_budgets, refresh_budgets
from agentstate.processors.consumer import Entry, PermanentError, StreamConsumer
from agentstate.processors.detectors.alert import stamp
from agentstate.processors.detectors.budgets import BudgetTracker
from agentstate.processors.detectors.engine import SecurityEngine
from agentstate.processors.global_state import RedisTraceState, TraceState
from agentstate.processors.global_state import evaluate_batch as evaluate_global
from agentstate.processors.normalize import normalize
from agentstate.processors.price_overrides import load_overrides
from agentstate.processors.pricing import PriceBook, SpanRef, compute_cost
from agentstate.processors.rows import alert_row, cost_row
from agentstate.processors.settings import WorkerSettings
from agentstate.processors.span_view import SpanRecord, iter_spans
from agentstate.processors.writer_main import tune_gc
from agentstate.semconv import streams as S

log = logging.getLogger(__name__)

Output = list[tuple[str, dict[str, Any]]]
"""``(stream, row)`` pairs produced for one span."""
_CHUNK = 500
BatchLogic = Callable[[list[SpanRecord]], Awaitable[Output]]
"""Async logic over every span of one read (may talk to Redis)."""


def _ref(rec: SpanRecord) -> SpanRef:
    return SpanRef(rec.project, rec.trace_id, rec.span_id, rec.start_ns, rec.service)


class SpanProcessor(StreamConsumer):
    """Runs ``process`` on every span of each entry and publishes what it returns."""

    def __init__(
        self,
        redis: Redis,
        group: str,
        consumer: str,
        process: Callable[[SpanRecord], Output],
        process_batch: Callable[[list[SpanRecord]], Output] | None = None,
        process_read: BatchLogic | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(redis, S.SPANS_STREAM, group, consumer, **kwargs)
        self.process = process
        self.process_batch = process_batch
        self.process_read = process_read
        self.spans_seen = 0

    async def handle(self, entries: list[Entry]) -> None:
        """Process every span; publish the rows before returning (then the base class acks)."""
        produced: Output = []
        if self.process_read is not None:  # the whole read at once: one Redis round trip per read
            records = [rec for eid, fields in entries for rec in _decode(eid, fields)]
            produced = await self.process_read(records)
            self.spans_seen += len(records)
        else:
            for eid, fields in entries:
                records = _decode(eid, fields)
                produced += self.process_batch(records) if self.process_batch else [
                    pair for rec in records for pair in self.process(rec)]  # fmt: skip
                self.spans_seen += len(records)
        out: dict[str, list[dict[str, Any]]] = {}
        for stream, row in produced:
            out.setdefault(stream, []).append(row)
        for stream, rows in out.items():
            for i in range(0, len(rows), _CHUNK):
                await self.redis.xadd(stream, {b"r": orjson.dumps(rows[i : i + _CHUNK])})


def _decode(eid: bytes, fields: dict[bytes, bytes]) -> list[SpanRecord]:
    project, body = fields.get(S.FIELD_PROJECT), fields.get(S.FIELD_BODY)
    if project is None or body is None:
        raise PermanentError(f"entry {eid.decode()} lacks the project or body field")
    try:
        return list(iter_spans(project.decode(), body))
    except DecodeError as exc:
        raise PermanentError(f"undecodable protobuf: {exc}") from exc


def security_process(engine: SecurityEngine) -> Callable[[SpanRecord], Output]:
    """Per-span logic of the security engine."""

    def process(rec: SpanRecord) -> Output:
        rows = engine.evaluate(_ref(rec), normalize(rec.attributes, rec.name), rec.duration_ns)
        return [(S.ALERTS_STREAM, alert_row(r)) for r in rows]

    return process


def security_batch(engine: SecurityEngine) -> Callable[[list[SpanRecord]], Output]:
    """Batch logic of the security engine: the batch's texts are scored together, then each span."""

    def process(recs: list[SpanRecord]) -> Output:
        items = [(_ref(r), normalize(r.attributes, r.name), r.duration_ns) for r in recs]
        return [(S.ALERTS_STREAM, alert_row(row)) for row in engine.evaluate_batch(items)]

    return process


def security_read(engine: SecurityEngine, state: TraceState) -> BatchLogic:
    """Read logic of a security replica: detect over the whole read, decide in ``state`` (Redis)."""

    async def process(recs: list[SpanRecord]) -> Output:
        items = [(_ref(r), normalize(r.attributes, r.name), r.duration_ns) for r in recs]
        return [(S.ALERTS_STREAM, alert_row(row)) for row in await evaluate_global(engine, state, items)]

    return process


def _warm_up(engine: SecurityEngine) -> None:
    """Load the detectors' models and compiled patterns before joining the group.

    A replica that joins cold spends its first read loading them while the others take the
    traffic; a throw-away engine keeps the real one's baselines untouched.
    """
    text = '[{"role": "user", "parts": [{"type": "text", "content": "warm up"}]}]'
    span = normalize({"gen_ai.operation.name": "chat", "gen_ai.input.messages": text}, "chat")
    engine.propose_batch([(SpanRef("", "", "", 0, ""), span, None)])


def cost_process(book: PriceBook, budgets: BudgetTracker) -> Callable[[SpanRecord], Output]:
    """Per-span logic of the cost calculator (one cost row per model call; budget alerts)."""

    def process(rec: SpanRecord) -> Output:
        ref = _ref(rec)
        row = compute_cost(normalize(rec.attributes, rec.name, content=False), ref, book)
        if row is None:
            return []
        out: Output = [(S.COSTS_STREAM, cost_row(row, time.time_ns()))]
        for alert in budgets.add(row):
            stamped = stamp(alert, rec.project, rec.trace_id, rec.span_id, rec.start_ns)
            out.append((S.ALERTS_STREAM, alert_row(stamped)))
        return out

    return process


def build(kind: str, redis: Redis, settings: WorkerSettings, budgets: BudgetTracker | None = None) -> SpanProcessor:
    """The consumer for ``kind`` ('security' or 'cost'; ``budgets``: the cost calculator's tracker)."""
    common: dict[str, Any] = {
        "batch_entries": settings.batch_entries,
        "claim_idle_ms": int(settings.claim_idle_seconds * 1000),
        "max_deliveries": settings.max_deliveries,
    }
    book = PriceBook(load_overrides())
    if kind == "security":
        engine = SecurityEngine(prices=book)
        _warm_up(SecurityEngine(prices=book))
        return SpanProcessor(
            redis,
            S.SECURITY_GROUP,
            settings.consumer_name,
            security_process(engine),
            process_read=security_read(engine, RedisTraceState(redis)),
            **common,
        )
    if kind == "cost":
        return SpanProcessor(
            redis, S.COST_GROUP, settings.consumer_name, cost_process(book, budgets or BudgetTracker(())), **common
        )
    raise ValueError(f"unknown worker kind {kind!r}")


async def run(kind: str, settings: WorkerSettings, stop: asyncio.Event) -> None:
    """Run one span processor until ``stop`` (set by the CLI on SIGTERM/SIGINT)."""
    if settings.nice:
        os.nice(settings.nice)
    redis = Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=2)
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
