"""A read is handled in runs bounded by bytes, and the same entries always form the same runs."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from agentstate.processors.consumer import Entry, by_bytes


def _entries(*sizes: int) -> list[Entry]:
    return [(f"{i}-0".encode(), {b"r": b"x" * n, b"p": b"pp"}) for i, n in enumerate(sizes)]


def _sizes(runs: list[list[Entry]]) -> list[list[int]]:
    return [[len(e[1][b"r"]) for e in run] for run in runs]


@pytest.mark.parametrize(
    ("sizes", "limit", "expected"),
    [
        pytest.param((), 100, [], id="empty-read"),
        pytest.param((10, 20, 30), 0, [[10, 20, 30]], id="no-limit-one-run"),
        pytest.param((48, 48, 48, 48), 100, [[48, 48], [48, 48]], id="fields-counted"),  # 50 bytes each
        pytest.param((40, 40, 40, 40), 100, [[40, 40], [40, 40]], id="limit-not-exceeded"),
        pytest.param((8, 8, 8), 30, [[8, 8, 8]], id="exactly-at-the-limit"),
        pytest.param((10, 500, 10, 10), 100, [[10], [500], [10, 10]], id="oversize-entry-alone"),
        pytest.param((500,), 100, [[500]], id="single-oversize-entry"),
    ],
)
def test_runs(sizes: tuple[int, ...], limit: int, expected: list[list[int]]) -> None:
    runs = by_bytes(_entries(*sizes), limit)
    assert _sizes(runs) == expected
    assert [e for run in runs for e in run] == _entries(*sizes)  # every entry once, in order


def test_pending_entries_read_again_form_the_same_runs() -> None:
    """After a crash the unacknowledged suffix of a read is read again: its runs are the read's runs."""
    rng = random.Random(1205)
    for _ in range(200):
        entries = _entries(*(rng.randrange(1, 400) for _ in range(rng.randrange(1, 30))))
        limit = rng.randrange(1, 1000)
        runs = by_bytes(entries, limit)
        done = 0
        for i, run in enumerate(runs):
            assert by_bytes(entries[done:], limit) == runs[i:]
            done += len(run)


def test_worker_client_reads_large_replies_whole(valkey: Any) -> None:
    """The workers' client asks the socket for 1 MiB at a time and still returns multi-megabyte
    entries byte for byte (one XREADGROUP reply of several entries, as the writer reads them)."""
    from agentstate.processors.consumer import READ_SIZE, redis_client

    rng = random.Random(7)
    bodies = [rng.randbytes(n) for n in (3 * READ_SIZE + 17, 1, READ_SIZE, 700_000)]

    async def go() -> list[bytes]:
        client = redis_client(valkey.url)
        assert client.connection_pool.connection_kwargs["socket_read_size"] == READ_SIZE
        stream = f"test.read-size.{rng.random()}"
        try:
            for body in bodies:
                await client.xadd(stream, {b"b": body})
            await client.xgroup_create(stream, "g", id="0")
            reply = await client.xreadgroup("g", "c", {stream: ">"}, count=10)
            return [fields[b"b"] for _, fields in reply[0][1]]
        finally:
            await client.delete(stream)
            await client.aclose()

    assert asyncio.run(go()) == bodies
