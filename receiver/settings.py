"""Receiver settings, read once from ``AGENTSTATE_*`` environment variables."""

from __future__ import annotations

from pydantic import Field

from agentstate.semconv.server_settings import ServerSettings


class ReceiverSettings(ServerSettings):
    """OTLP receiver configuration (``agentstate receiver``); Redis, ClickHouse and the secret key are shared."""

    host: str = Field("127.0.0.1", description="Interface the OTLP endpoints listen on.")
    http_port: int = Field(4318, ge=0, le=65535, description="OTLP/HTTP port.")
    grpc_port: int = Field(4317, ge=0, le=65535, description="OTLP/gRPC port (0 disables gRPC).")
    max_body_bytes: int = Field(
        5 * 1024 * 1024, gt=0, description="Request size limit, applied after decompression (413 above)."
    )
    stats_token: str = Field(
        "", description="Bearer token for GET /stats (every project's ingest counts); empty = /stats disabled."
    )
    key_cache_seconds: float = Field(
        30.0, ge=0, le=60, description="How long key lookups (hits and misses) are cached; revocation delay."
    )
    high_water_entries: int = Field(
        5000,
        gt=0,
        description="Backlog (entries not yet finished by the slowest group) a project may have waiting before its "
        "requests get 503 + Retry-After; with n projects sending, each may have this / n (none is refused below "
        "half of it). Twice this is the hard limit for everybody.",
    )
    redis_max_memory_mb: int = Field(
        1024,
        gt=0,
        description="Redis used_memory above which ingest gets 503 (backpressure, not eviction); never more than "
        "half of Redis' own maxmemory, whose other half is the writer's (it publishes normalised batches before it "
        "can acknowledge, so a queue filled to maxmemory would stop the pipeline).",
    )
    keep_alive_seconds: int = Field(
        30, gt=0, le=300, description="Idle time before a kept-alive connection is closed (uvicorn timeout_keep_alive)."
    )
    retry_after_seconds: int = Field(5, gt=0, description="Retry-After sent with 429/503.")
    rate_limit_spans_per_second: float = Field(
        0.0, ge=0, description="Per-project span rate limit (token bucket, burst = 2 s); 0 = unlimited."
    )
    shared_rate_limit_spans_per_second: float = Field(
        5000.0,
        ge=0,
        description="Per-project span rate limit that applies only while other projects are sending too (so one "
        "tenant cannot take the pipeline from the rest; alone it may use all of it); 0 = off. Per receiver replica.",
    )
