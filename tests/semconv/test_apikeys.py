"""The key registry's one pair of writers, against a real Valkey, read back as the receiver reads it."""

from __future__ import annotations

import uuid

import pytest
import redis
from redis.asyncio import Redis as AsyncRedis

from agentstate.receiver.auth import KeyResolver
from agentstate.receiver.errors import IngestError
from agentstate.semconv.apikeys import display_key, generate_key, hash_key, key_prefix, register_keys, revoke_keys
from tests.conftest import Valkey

PEPPER = b"p" * 32


def test_prefix_and_display_come_from_the_key() -> None:
    key = generate_key()
    assert key_prefix(key) == key[: len("as_") + 8]
    assert display_key(key) == f"{key_prefix(key)}_…{key[-4:]}"
    assert key[-8:-4] not in display_key(key)


async def test_registered_keys_resolve_and_revoked_ones_do_not(valkey: Valkey) -> None:
    sync_key, async_key = generate_key(), generate_key()
    project = f"p-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(valkey.url)
    aclient = AsyncRedis.from_url(valkey.url)
    try:
        assert register_keys(client, {hash_key(sync_key, PEPPER): project}) == 1  # as `up` does (sync)
        assert await register_keys(aclient, {hash_key(async_key, PEPPER): project}) == 1  # as the API does
        resolver = KeyResolver(aclient, PEPPER, cache_seconds=0)
        assert [await resolver.project_for(k) for k in (sync_key, async_key)] == [project, project]
        assert await revoke_keys(aclient, [hash_key(async_key, PEPPER)]) == 1
        with pytest.raises(IngestError, match="revoked"):
            await resolver.project_for(async_key)
        assert revoke_keys(client, [hash_key(sync_key, PEPPER)]) == 1
    finally:
        client.close()
        await aclient.aclose()
