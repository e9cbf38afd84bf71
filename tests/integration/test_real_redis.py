"""The same spine against a real Redis server (127.0.0.1:6379) when one is reachable, as in production."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
import redis

from agentstate.semconv.apikeys import generate_key, hash_key
from agentstate.semconv.streams import API_KEYS_HASH
from tests.conftest import SECRET, spawn, start_receiver, stop_proc
from tests.integration.test_faults import Spine, Valkey

pytestmark = pytest.mark.slow


def _reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _reachable(), reason="no Redis server on 127.0.0.1:6379")
def test_spine_on_a_real_redis_server(tmp_path: Path) -> None:
    db = 9
    url = f"redis://127.0.0.1:6379/{db}"
    r = redis.Redis.from_url(url)
    r.flushdb()
    rec = start_receiver(url, tmp_path)
    key = generate_key()
    r.hset(API_KEYS_HASH, hash_key(key, SECRET.encode()), f"real-{uuid.uuid4().hex[:6]}")
    spine = Spine(Valkey(server=None, url=url), rec, key, tmp_path)
    writer = spawn(["worker", "writer"], spine.writer_env(), tmp_path / "writer.log")
    try:
        sent = spine.send(n_requests=4, spans=250)
        assert spine.drained(), (tmp_path / "writer.log").read_text()
    finally:
        stop_proc(writer)
        stop_proc(rec.proc)
        r.flushdb()
        r.close()
    final, distinct, raw = spine.counts()
    assert final == distinct == raw == sent
