"""``agentstate health``: the container probes, against a real Valkey and a real HTTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import redis

from tests.conftest import Valkey


def _health(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentstate.cli", "health", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )


@pytest.fixture
def group(valkey: Valkey) -> tuple[redis.Redis, str]:
    client = redis.Redis.from_url(valkey.url)
    name = f"health-{uuid.uuid4().hex[:6]}"
    client.xgroup_create("spans.normalized", name, id="$", mkstream=True)
    return client, name


def test_worker_reading_its_group_is_healthy(valkey: Valkey, group: tuple[redis.Redis, str]) -> None:
    client, name = group
    client.xreadgroup(name, "replica-a", {"spans.normalized": ">"}, count=1, block=10)
    proc = _health("worker", name, AGENTSTATE_REDIS_URL=valkey.url, AGENTSTATE_CONSUMER_NAME="replica-a")
    assert proc.returncode == 0, proc.stderr


def test_writer_is_probed_on_the_ingest_stream(valkey: Valkey) -> None:
    """The writer's group lives on spans.ingest, the other workers' on spans.normalized."""
    client = redis.Redis.from_url(valkey.url)
    try:
        client.xgroup_create("spans.ingest", "writer", id="$", mkstream=True)
    except redis.ResponseError as exc:
        assert "BUSYGROUP" in str(exc)
    consumer = f"writer-{uuid.uuid4().hex[:6]}"
    client.xreadgroup("writer", consumer, {"spans.ingest": ">"}, count=1, block=10)
    proc = _health("worker", "writer", AGENTSTATE_REDIS_URL=valkey.url, AGENTSTATE_CONSUMER_NAME=consumer)
    assert proc.returncode == 0, proc.stderr


def test_unknown_or_stalled_consumer_is_unhealthy(valkey: Valkey, group: tuple[redis.Redis, str]) -> None:
    client, name = group
    client.xreadgroup(name, "replica-b", {"spans.normalized": ">"}, count=1, block=10)
    missing = _health("worker", name, AGENTSTATE_REDIS_URL=valkey.url, AGENTSTATE_CONSUMER_NAME="replica-c")
    assert missing.returncode == 1 and "no consumer 'replica-c'" in missing.stderr
    time.sleep(1.2)
    stalled = _health(
        "worker", name, "--max-idle", "1", AGENTSTATE_REDIS_URL=valkey.url, AGENTSTATE_CONSUMER_NAME="replica-b"
    )
    assert stalled.returncode == 1 and "idle for" in stalled.stderr


def test_redis_down_is_unhealthy() -> None:
    proc = _health("worker", "writer", AGENTSTATE_REDIS_URL="redis://127.0.0.1:1/0")
    assert proc.returncode == 1 and "unhealthy" in proc.stderr


def test_http_probe(valkey: Valkey) -> None:
    from tests.conftest import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while (ok := _health("http", f"http://127.0.0.1:{port}/")).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ok.returncode == 0
        assert _health("http", f"http://127.0.0.1:{port}/missing").returncode == 1
    finally:
        server.terminate()
        server.wait(10)
    assert _health("http", f"http://127.0.0.1:{port}/").returncode == 1
