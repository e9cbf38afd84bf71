"""``/stats`` needs the operator's stats token (issue 14, item 10): it counts every tenant's traffic.

An ingest key belongs to one project, so it must not read the totals of all projects; without a
configured ``AGENTSTATE_STATS_TOKEN`` the endpoint is closed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis.asyncio import Redis
from starlette.testclient import TestClient

from agentstate.receiver.http_app import create_app
from agentstate.receiver.server import build_service
from agentstate.receiver.settings import ReceiverSettings
from tests.conftest import SECRET, Valkey

TOKEN = "stats-token-0123456789abcdef"


def _client(valkey: Valkey, token: str) -> TestClient:
    settings = ReceiverSettings(redis_url=valkey.url, secret_key=SECRET, stats_token=token)
    service = build_service(settings, Redis.from_url(valkey.url))
    return TestClient(create_app(service, settings.max_body_bytes, settings.stats_token))


@pytest.fixture
def client(valkey: Valkey) -> Iterator[TestClient]:
    with _client(valkey, TOKEN) as c:
        yield c


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({}, 401, id="no-credentials"),
        pytest.param({"Authorization": "Bearer wrong-token"}, 401, id="wrong-token"),
        pytest.param({"Authorization": f"Basic {TOKEN}"}, 401, id="wrong-scheme"),
        pytest.param({"x-api-key": TOKEN}, 401, id="token-as-ingest-key-header"),
        pytest.param({"Authorization": f"Bearer {TOKEN}"}, 200, id="stats-token"),
    ],
)
def test_stats_requires_the_stats_token(client: TestClient, headers: dict[str, str], status: int) -> None:
    resp = client.get("/stats", headers=headers)
    assert resp.status_code == status
    if status == 200:
        assert set(resp.json()) == {"accepted", "rejected", "refused_requests"}
    else:
        assert "accepted" not in resp.text
        assert resp.headers["www-authenticate"] == "Bearer"


def test_stats_is_closed_without_a_configured_token(valkey: Valkey) -> None:
    with _client(valkey, "") as c:
        assert c.get("/stats").status_code == 401
        assert c.get("/stats", headers={"Authorization": "Bearer "}).status_code == 401


def test_probes_stay_open(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
