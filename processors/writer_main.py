"""``agentstate worker writer``: run every ClickHouse-writing consumer in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

from clickhouse_connect.driver.client import Client
from redis.asyncio import Redis

from agentstate.processors.chdb_pages import release_startup_pages
from agentstate.processors.clickhouse import arrow_insert, chdb_path, connect, migrate
from agentstate.processors.consumer import redis_client
from agentstate.processors.gc_tuning import tune_gc
from agentstate.processors.output_tables import ddl as output_ddl
from agentstate.processors.output_tables import writers as output_writers
from agentstate.processors.scrub import Scrubber, make_scrubber
from agentstate.processors.settings import WorkerSettings
from agentstate.processors.summary_schema import ensure as ensure_summaries
from agentstate.processors.trimmer import trim_forever
from agentstate.processors.writer import FaultHook, OtlpWriter, RowsWriter
from agentstate.semconv import streams as S

log = logging.getLogger(__name__)

Companion = Callable[[Client, Redis, asyncio.Event], Coroutine[Any, Any, None]]
"""Something served in the writer's process with its ClickHouse client (the API, in embedded mode)."""


async def run_writer(
    settings: WorkerSettings,
    stop: asyncio.Event,
    *,
    fault_hook: FaultHook | None = None,
    companion: Companion | None = None,
) -> None:
    """Run the trace, log and row writers (and ``companion``) until ``stop`` (set by the CLI on SIGTERM)."""
    client = prepare_schema(settings)
    redis = redis_client(settings.redis_url)
    tune_gc()
    common: dict[str, Any] = {
        "batch_entries": settings.batch_entries,
        "batch_bytes": settings.batch_bytes,
        "claim_idle_ms": int(settings.claim_idle_seconds * 1000),
        "max_deliveries": settings.max_deliveries,
        "linger_ms": settings.linger_ms,
    }
    scrub = server_scrubber() if settings.scrub_on_write else None
    db = settings.clickhouse_database
    n = settings.writer_concurrency
    url = settings.clickhouse_url
    clients = [client, *(connect(url) for _ in range(1, n))]
    consumers = [
        *(
            # Stable names per slot, so each drains its own pending list after a restart.
            OtlpWriter(
                redis,
                clients[i],
                db,
                settings.consumer_name if n == 1 else f"{settings.consumer_name}-{i}",
                signal="traces",
                scrub=scrub,
                max_value_len=settings.max_attribute_bytes,
                fault_hook=fault_hook,
                insert=arrow_insert(clients[i], url),
                **common,
            )
            for i in range(n)
        ),
        OtlpWriter(
            redis,
            client,
            db,
            f"{settings.consumer_name}",
            signal="logs",
            scrub=scrub,
            max_value_len=settings.max_attribute_bytes,
            insert=arrow_insert(client, url),
            **common,
        ),
        *row_writers(redis, client, settings, common),
    ]
    if chdb_path(url) is not None:  # embedded: chDB's code pages that only its start-up ran (chdb_pages.py)
        release_startup_pages()
    async with AsyncExitStack() as stack:
        for consumer in consumers:
            await stack.enter_async_context(consumer)
        trimmer = asyncio.create_task(
            trim_forever(redis, [S.SPANS_STREAM, S.NORMALIZED_STREAM, S.LOGS_STREAM, S.ALERTS_STREAM, S.COSTS_STREAM])
        )
        stack.push_async_callback(_cancel, trimmer)
        tasks: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
        if companion is not None:
            tasks.append(asyncio.create_task(companion(client, redis, stop)))
        log.info("writer running: clickhouse=%s database=%s", settings.clickhouse_url.split("@")[-1], db)
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    await redis.aclose()
    client.close()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def prepare_schema(settings: WorkerSettings) -> Client:
    """Connect to ClickHouse and create or migrate every table and view; return the client."""
    client = connect(settings.clickhouse_url)
    db, days, cluster = settings.clickhouse_database, settings.retention_days, settings.clickhouse_cluster
    migrate(client, db, days, extra_ddl(settings), cluster=cluster)
    ensure_summaries(client, db, days, cluster=cluster)
    return client


def extra_ddl(settings: WorkerSettings) -> list[str]:
    """DDL of the processors' own tables (alerts, costs)."""
    return output_ddl(settings.clickhouse_database, settings.retention_days)


def row_writers(redis: Redis, client: Client, settings: WorkerSettings, common: dict[str, Any]) -> list[RowsWriter]:
    """Writers of the alert and cost streams."""
    return list(output_writers(redis, client, settings, common))


def server_scrubber() -> Scrubber:
    """The server-side scrubber for spans that did not pass through our SDK's scrubber."""
    return make_scrubber()
