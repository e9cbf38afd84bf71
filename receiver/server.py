"""Run the receiver: OTLP/HTTP (uvicorn) and OTLP/gRPC in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
from collections.abc import Iterator

import uvicorn
from redis.asyncio import Redis

from agentstate.receiver.auth import KeyResolver
from agentstate.receiver.deadlines import deadline_protocol
from agentstate.receiver.grpc_app import create_server
from agentstate.receiver.http_app import create_app
from agentstate.receiver.publisher import Publisher, RateLimiter
from agentstate.receiver.service import IngestService
from agentstate.receiver.settings import ReceiverSettings

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: :func:`serve` owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def build_service(settings: ReceiverSettings, redis: Redis) -> IngestService:
    """Wire the ingest service from settings."""
    settings.require_secret("the receiver")
    keys = KeyResolver(redis, settings.secret_key.encode(), settings.key_cache_seconds)
    publisher = Publisher(
        redis, settings.high_water_entries, settings.redis_max_memory_mb, settings.retry_after_seconds
    )
    limiter = RateLimiter(
        settings.rate_limit_spans_per_second, settings.retry_after_seconds, settings.shared_rate_limit_spans_per_second
    )
    return IngestService(keys, publisher, limiter)


async def _serve_http(http: _Server) -> None:
    """uvicorn's ``serve``, except that a failed start (a port in use) ends the task instead of
    raising ``SystemExit`` through the event loop: :func:`serve` then stops cleanly and says why."""
    with contextlib.suppress(SystemExit):
        await http.serve()


STOP_REPORT_SECONDS = 20.0
"""A stop still running after this long logs what it waits on: every pending task's stack."""
STOP_LIMIT_SECONDS = 40.0
"""A stop still running after this long ends the process (exit status 1)."""


def pending_tasks() -> str:
    """Every task of the running loop but the caller's, each with its stack (what a stop waits on)."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            task.print_stack(limit=12, file=out)
    return out.getvalue()


async def _bound_stop(report_after: float, limit: float) -> None:
    """Watch a stop: report what it waits on after ``report_after`` s, end the process at ``limit``.

    Every stage of the stop has its own timeout (uvicorn's graceful shutdown, gRPC's grace, Redis
    socket timeouts), yet twice a receiver ignored SIGTERM for over 60 s after a benchmark, with its
    loop idle and nothing on its log. Ending it is safe: a request was answered 200 only once its
    entry was in Redis, and one cut off now gets no answer, so its client retries.
    """
    await asyncio.sleep(report_after)
    log.error("receiver still stopping after %.0f s; pending tasks:\n%s", report_after, pending_tasks())
    await asyncio.sleep(max(0.0, limit - report_after))
    log.error("receiver stop exceeded %.0f s: exiting now", limit)
    os._exit(1)


async def serve(settings: ReceiverSettings, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set (the CLI sets it on SIGINT/SIGTERM); then refuse new data and drain."""
    from google.protobuf.internal import api_implementation

    if api_implementation.Type() != "upb":
        log.warning("protobuf backend is %r, not upb: parsing will be ~100x slower", api_implementation.Type())
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    service = build_service(settings, redis)
    await service.publisher.start()
    app = create_app(service, settings.max_body_bytes, settings.stats_token)
    http = _Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.http_port,
            log_level="warning",
            access_log=False,
            timeout_keep_alive=settings.keep_alive_seconds,
            lifespan="off",
            ws="none",
            http=deadline_protocol(settings.header_timeout_seconds, settings.body_timeout_seconds),
            # A stop must not hang on a connection that never closes (seen once under load: > 60 s).
            timeout_graceful_shutdown=10,
        )
    )
    http_task = asyncio.create_task(_serve_http(http), name="otlp-http")
    grpc_server = None
    if settings.grpc_port:
        grpc_server = create_server(
            service,
            f"{settings.host}:{settings.grpc_port}",
            settings.max_body_bytes,
            settings.header_timeout_seconds,
            settings.keep_alive_seconds,
        )
        await grpc_server.start()
    while not http.started and not http_task.done():  # "listening" only once the port is bound
        await asyncio.sleep(0.01)
    if http.started:
        log.info("receiver listening: http=%s:%s grpc=%s", settings.host, settings.http_port, settings.grpc_port)
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait({http_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    watchdog = asyncio.create_task(_bound_stop(STOP_REPORT_SECONDS, STOP_LIMIT_SECONDS))
    # Graceful: in-flight requests finish (their XADD completes or they get 503), new ones are refused.
    if grpc_server is not None:
        await grpc_server.stop(grace=5)
    http.should_exit = True
    failed = not http.started
    await http_task
    waiter.cancel()
    await service.publisher.stop()
    await redis.aclose()
    watchdog.cancel()
    if failed:
        raise SystemExit(f"receiver could not serve OTLP/HTTP on {settings.host}:{settings.http_port} (see above)")
