"""Serve the API: inside the writer process (embedded chDB) or standalone (``agentstate api``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from clickhouse_connect.driver.client import Client
from fastapi import FastAPI
from redis.asyncio import Redis

from agentstate.api.app import create_app
from agentstate.api.settings import ApiSettings

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the host process owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_app(app: FastAPI, host: str, port: int, stop: asyncio.Event, http: Any = "auto") -> None:
    """Serve ``app`` until ``stop`` is set (``http``: uvicorn's HTTP protocol, e.g. one with read deadlines)."""
    server = _Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            ws="websockets-sansio",
            proxy_headers=False,
            http=http,
            timeout_graceful_shutdown=10,  # open WS /live feeds and stuck clients must not hold a stop
        )
    )
    task = asyncio.create_task(server.serve(), name="api-http")
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await task
    waiter.cancel()


async def serve_with_client(client: Client, redis: Redis, stop: asyncio.Event, http: Any = "auto") -> None:
    """Serve the API with the writer's ClickHouse client and Redis (``agentstate up``)."""
    settings = ApiSettings()
    app = create_app(settings, client, redis)
    log.info("API listening on http://%s:%s", settings.api_host, settings.api_port)
    await serve_app(app, settings.api_host, settings.api_port, stop, http)


async def _standalone(settings: ApiSettings, connect: Callable[[str], Client], http: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    client = connect(settings.clickhouse_url)
    redis = Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=2)
    try:
        app = create_app(settings, client, redis)
        log.info("API listening on http://%s:%s", settings.api_host, settings.api_port)
        await serve_app(app, settings.api_host, settings.api_port, stop, http)
    finally:
        await redis.aclose()
        client.close()


def main(connect: Callable[[str], Client], http: Any = "auto") -> int:
    """``agentstate api``: the standalone API; ``connect`` opens the ClickHouse client for a URL.

    The CLI passes the storage layer's ``connect`` (server or embedded chDB) and the HTTP protocol with
    read deadlines, so the API depends on the ``Client`` interface only and imports no other part.
    """
    asyncio.run(_standalone(ApiSettings(), connect, http))
    return 0
