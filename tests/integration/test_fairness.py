"""One tenant's flood must not answer 503 to everyone (issue 14, item 5).

With four senders flooding project F, project B got 503 on 10 of 67 small requests: the backlog
limit was one number for all projects. Here no writer runs, so the backlog only grows, the worst
case for B. The receiver's high-water mark is 60 entries: F alone may fill it, B then gets half.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from agentstate.semconv.apikeys import generate_key, hash_key
from agentstate.semconv.streams import API_KEYS_HASH, SPANS_STREAM
from tests.conftest import SECRET, Receiver, start_receiver, start_valkey, stop_proc
from tests.integration.test_faults import make_request
from tests.integration.test_ingest import _post

pytestmark = pytest.mark.slow

HWM = 60


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[Receiver, dict[str, str], str]]:
    v = start_valkey(tmp_path / "redis")
    rec = start_receiver(v.url, tmp_path, AGENTSTATE_HIGH_WATER_ENTRIES=str(HWM))
    keys = {p: generate_key() for p in ("flood", "small")}
    r = redis.Redis.from_url(v.url)
    for project, key in keys.items():
        r.hset(API_KEYS_HASH, hash_key(key, SECRET.encode()), project)
    r.close()
    yield rec, keys, v.url
    stop_proc(rec.proc)
    v.server.stop()


def _send(rec: Receiver, key: str, trace: int, spans: int) -> tuple[int, str | None]:
    code, _, headers = _post(
        rec.http_url + "/v1/traces",
        make_request(trace, spans),
        {"Content-Type": "application/x-protobuf", "x-api-key": key},
    )
    return code, headers.get("retry-after")


def test_a_flooding_project_is_refused_alone(receiver: tuple[Receiver, dict[str, str], str]) -> None:
    rec, keys, url = receiver
    stop = threading.Event()
    flood: Counter[int] = Counter()
    retry_after: list[str | None] = []

    def flooder(n: int) -> None:
        t = n * 1_000_000
        while not stop.is_set():
            t += 1
            code, ra = _send(rec, keys["flood"], t, 20)
            flood[code] += 1
            if code != 200:
                retry_after.append(ra)

    threads = [threading.Thread(target=flooder, args=(i + 1,)) for i in range(4)]
    for th in threads:
        th.start()
    try:
        deadline = time.monotonic() + 30
        while not flood[503] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flood[503], f"the flood was never pushed back: {flood}"
        small = Counter(_send(rec, keys["small"], 9_000_000 + i, 2)[0] for i in range(12))
        refused_during = flood[503]
        time.sleep(0.3)
        assert flood[503] > refused_during, "the flood kept being admitted while B was sending"
    finally:
        stop.set()
        for th in threads:
            th.join(10)
    assert small == Counter({200: 12}), f"the small project was refused: {small}"
    assert all(ra is not None and int(ra) > 0 for ra in retry_after), "every 503 carries Retry-After"
    r = redis.Redis.from_url(url)
    try:
        projects = Counter(f[b"p"] for _, f in r.xrange(SPANS_STREAM))
    finally:
        r.close()
    assert projects == {b"flood": HWM, b"small": 12}, "F keeps its high-water mark, B its entries"
