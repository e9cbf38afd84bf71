"""Serve the query API, either standalone or inside the writer process (embedded chDB)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

Companion = Callable[[Any, Any, asyncio.Event], Coroutine[Any, Any, None]]


def http_with_deadlines() -> Any:
    """uvicorn's HTTP protocol with the receiver's head and body read deadlines (slow clients get 408)."""
    from agentstate.api.settings import ApiSettings
    from agentstate.receiver.deadlines import deadline_protocol

    settings = ApiSettings()
    return deadline_protocol(settings.header_timeout_seconds, settings.body_timeout_seconds)


def api_companion() -> Companion | None:
    """A coroutine factory serving the API with the writer's ClickHouse client, if the API is installed."""
    try:
        from agentstate.api.server import serve_with_client
    except ImportError:
        log.warning("the query API is not installed; only ingestion runs")
        return None
    return functools.partial(serve_with_client, http=http_with_deadlines())


def serve_api() -> int:
    """``agentstate api``: standalone API against a ClickHouse server."""
    try:
        from agentstate.api.server import main
        from agentstate.processors.clickhouse import connect
    except ImportError:
        raise SystemExit("the query API is not available in this build") from None
    return int(main(connect, http_with_deadlines()))
