"""Settings of the stream processors (``agentstate worker ...``), from ``AGENTSTATE_*`` variables."""

from __future__ import annotations

import re
import socket

from pydantic import Field, field_validator

from agentstate.semconv.server_settings import ServerSettings


class WorkerSettings(ServerSettings):
    """Shared by the writer, security and cost workers (Redis, ClickHouse and the secret key: ServerSettings)."""

    clickhouse_cluster: str = Field(
        "",
        description="ClickHouse cluster (remote_servers) for replicated local tables behind distributed ones; "
        "empty: the single-node schema.",
    )
    retention_days: int = Field(0, ge=0, description="TTL of stored telemetry in days (0 = keep).")
    consumer_name: str = Field(
        default_factory=socket.gethostname,
        description="Stable consumer name within each group (distinct per replica; stable across restarts).",
    )
    writer_concurrency: int = Field(
        1,
        ge=1,
        le=16,
        description="Trace-writer consumers per process. chDB holds the GIL for a whole query, so a second consumer "
        "does not convert beside an insert; it works while the other waits on Redis. With the security and cost "
        "workers on the same two cores (bench/ingest.py, 2026-12-05, interleaved pairs, AGENTSTATE_BATCH_ENTRIES=10"
        "): +5% and +15% end to end, ~10 µs more writer CPU per span, peak RSS 905-983 MB against 872-900 MB with "
        "one at 20 entries (two at 20 entries each: 1,155 MB). Raise it where the writer has cores of its own.",
    )
    batch_entries: int = Field(
        20,
        gt=0,
        le=1000,
        description="Stream entries (requests) per batch. Under load the writer inserts this many at once, and its "
        "two trace consumers hold two such batches in memory: with 500-span requests, 40 entries peaked the writer "
        "at ~1.45 GB RSS, 20 at ~1.0 GB for the same CPU per span within noise (2026-12-04, bench/ingest.py). "
        "Much smaller inserts cost chDB more per span (per-insert and merge costs).",
    )
    batch_bytes: int = Field(
        16 * 1024 * 1024,
        ge=0,
        description="Largest batch in bytes of stream entries (0: no limit besides batch_entries). A read larger "
        "than this is handled in consecutive runs of entries, each inserted and acknowledged on its own: the "
        "writer's memory grows with the bytes it converts and inserts at once. bench/ingest.py's 500-span requests "
        "(~0.7 MB each) fill 20 entries within it; requests that resend an agent's conversation (~1.6 MB each, "
        "--conversation) go 10 at a time.",
    )
    linger_ms: int = Field(
        1000,
        ge=0,
        le=4000,
        description="How long the writer gathers stream entries before one insert when fewer than a batch are "
        "waiting. Every chDB insert has a fixed cost (~15 ms, plus a part to merge): at a steady 12k spans/s, "
        "inserting each request at once cost the writer ~2x the CPU per span. Spans and alerts stay visible "
        "within about a second.",
    )
    claim_idle_seconds: float = Field(60.0, gt=0, description="Reclaim entries idle this long in dead replicas.")
    max_deliveries: int = Field(10, gt=0, description="Deliveries before an entry is dead-lettered.")
    max_attribute_bytes: int = Field(262_144, gt=0, description="Longer attribute values are truncated.")
    nice: int = Field(
        0,
        ge=0,
        le=19,
        description="CPU priority increment (os.nice) for the security and cost workers; `agentstate up` uses 5 so "
        "that storing spans keeps priority over analysing them on a small machine.",
    )
    scrub_on_write: bool = Field(True, description="Scrub PII/secrets of spans the SDK did not scrub.")

    @field_validator("clickhouse_cluster")
    @classmethod
    def _cluster(cls, v: str) -> str:
        if v and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", v):
            raise ValueError("must be empty or a plain identifier")
        return v
