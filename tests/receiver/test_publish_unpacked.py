"""Large stream fields reach Valkey byte for byte, packed by redis-py without a copy of the value.

``hiredis.pack_command`` costs ~1 ns per byte (647 µs for a 700 KB request body); redis-py packs a
command that holds a ``memoryview`` in Python, passing the value on as a chunk of its own
(``streams.unpacked``). The publisher, the writer and the workers give their large fields that way.
"""

from __future__ import annotations

import asyncio
import os

from redis.asyncio import Redis
from redis.asyncio.connection import Connection

from agentstate.receiver.publisher import Publisher
from agentstate.semconv import streams as S
from tests.conftest import Valkey


def test_an_unpacked_field_is_sent_as_its_own_buffer() -> None:
    body = os.urandom(700_000)
    chunks = Connection().pack_command("XADD", S.SPANS_STREAM, "*", S.FIELD_BODY, S.unpacked(body))
    carried = [c for c in chunks if isinstance(c, memoryview) and c.obj is body]
    assert len(carried) == 1 and len(carried[0]) == len(body)
    assert b"".join(bytes(c) for c in chunks).count(body) == 1


def test_the_publisher_stores_a_large_body_byte_for_byte(valkey: Valkey) -> None:
    body = os.urandom(3 * 1024 * 1024) + b"\r\n$5\r\nXADD\r\n"  # protocol-looking bytes too

    async def go() -> bytes:
        redis = Redis.from_url(valkey.url.rsplit("/", 1)[0] + "/11")  # a database of its own
        publisher = Publisher(redis, high_water_entries=1000, max_memory_mb=4096, retry_after=1)
        try:
            await redis.delete(S.SPANS_STREAM)
            await publisher.start()
            await publisher.publish(S.SPANS_STREAM, "p-unpacked", body, 1)
            [(_, fields)] = await redis.xrange(S.SPANS_STREAM, count=1)
            assert fields[S.FIELD_PROJECT] == b"p-unpacked" and fields[S.FIELD_COUNT] == b"1"
            return bytes(fields[S.FIELD_BODY])
        finally:
            await publisher.stop()
            await redis.delete(S.SPANS_STREAM)
            await redis.aclose()

    assert asyncio.run(go()) == body
