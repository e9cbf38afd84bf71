"""``agentstate health``: container health probes that need nothing but the image itself.

* ``health http URL`` — the receiver, API and UI answer their health endpoint (the slim image has
  no curl).
* ``health worker KIND`` — a stream worker is alive when *its own* consumer in its Redis consumer
  group interacted with the stream recently. Redis (≥ 7.2, and Valkey) reports per consumer
  ``idle``: milliseconds since its last read attempt, and a worker blocks on ``XREADGROUP`` for at
  most 200 ms at a time, so a healthy worker stays near zero even when no spans arrive; a hung or
  dead one grows without bound. No heartbeat key of our own is needed: the consumer group is the
  heartbeat.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_MAX_IDLE_SECONDS = 120.0
"""A worker idle longer than this is unhealthy (a slow ClickHouse insert can hold one read for long)."""


def consumer_idle_ms(consumers: list[dict[str, object]], name: str) -> int | None:
    """``idle`` of the consumer ``name`` in an ``XINFO CONSUMERS`` reply, or None if it is not there."""
    for info in consumers:
        raw = info.get("name")
        if (raw.decode() if isinstance(raw, bytes) else raw) == name:
            idle = info.get("idle")
            return int(idle) if isinstance(idle, int | str | bytes) else None
    return None


def _http(url: str, timeout: float) -> int:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310  # nosec B310 - the probe's own URL
            ok = 200 <= resp.status < 300
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


def _worker(kind: str, max_idle_s: float) -> int:
    import redis

    from agentstate.processors.settings import WorkerSettings
    from agentstate.semconv import streams as S

    settings = WorkerSettings()
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=3)
    try:
        # The writer consumes the ingest stream; every other worker the writer's normalised spans.
        stream = S.SPANS_STREAM if kind == S.WRITER_GROUP else S.NORMALIZED_STREAM
        consumers = client.xinfo_consumers(stream, kind)
    except redis.RedisError as exc:
        print(f"unhealthy: {kind} worker: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    idle = consumer_idle_ms(consumers, settings.consumer_name)
    if idle is None:
        print(f"unhealthy: no consumer {settings.consumer_name!r} in group {kind!r}", file=sys.stderr)
        return 1
    if idle > max_idle_s * 1000:
        print(f"unhealthy: consumer {settings.consumer_name!r} idle for {idle / 1000:.0f} s", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry point of ``agentstate health``."""
    if args.target == "http":
        return _http(args.arg, args.timeout)
    return _worker(args.arg, args.max_idle)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``health`` on the CLI's subcommands."""
    p = sub.add_parser("health", help="container health probe (exit 0 healthy, 1 not)")
    p.add_argument("target", choices=["http", "worker"])
    p.add_argument("arg", help="http: the URL to GET; worker: writer, security or cost")
    p.add_argument("--timeout", type=float, default=3.0, help="http: seconds to wait")
    p.add_argument(
        "--max-idle",
        type=float,
        default=DEFAULT_MAX_IDLE_SECONDS,
        help="worker: seconds since the consumer's last read beyond which it is unhealthy",
    )
    p.set_defaults(func=run)
