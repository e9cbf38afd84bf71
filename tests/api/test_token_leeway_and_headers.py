"""Issue 14 item 10 (API part): expired tokens stop working within 5 s; responses forbid framing (CSP)."""

from __future__ import annotations

import time

import httpx
import pytest

from agentstate.api import tokens
from tests.api.conftest import Api

KEY = tokens.signing_key("k" * 32)


@pytest.mark.parametrize(
    ("expired_ago", "valid"),
    [
        pytest.param(-60, True, id="valid-for-another-minute"),
        pytest.param(2, True, id="expired-2s-ago-within-skew"),
        pytest.param(6, False, id="expired-6s-ago"),
        pytest.param(20, False, id="expired-20s-ago"),
        pytest.param(31, False, id="expired-31s-ago"),
    ],
)
def test_expired_token_is_refused_beyond_5s_of_skew(expired_ago: int, valid: bool) -> None:
    ttl = 300
    token = tokens.issue(KEY, "u1", 0, ttl, now=time.time() - ttl - expired_ago)
    if valid:
        assert tokens.verify(KEY, token).user_id == "u1"
    else:
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(KEY, token)


def test_leeway_is_at_most_5s() -> None:
    assert tokens.LEEWAY_SECONDS <= 5


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers.get("content-security-policy", "")
    return {d.split(" ", 1)[0]: d.partition(" ")[2] for d in (p.strip() for p in policy.split(";")) if d}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/api/v1/users/me", 401, id="json-error"),
        pytest.param("/openapi.json", 200, id="openapi"),
        pytest.param("/docs", 200, id="swagger-ui"),
        pytest.param("/api/v1/nope", 404, id="not-found"),
    ],
)
def test_api_responses_forbid_framing(api: Api, path: str, status: int) -> None:
    r = httpx.get(api.url + path)
    assert r.status_code == status
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = _csp(r)
    assert csp.get("frame-ancestors") == "'none'", r.headers.get("content-security-policy")
    assert csp.get("default-src") == "'none'"
    if path != "/docs":  # JSON: nothing may load or run at all
        assert set(csp) == {"default-src", "frame-ancestors", "base-uri", "form-action"}


def test_docs_policy_allows_only_the_apis_own_assets(api: Api) -> None:
    csp = _csp(httpx.get(api.url + "/docs"))
    assert csp["script-src"].split() == ["'self'", "'unsafe-inline'"]
    assert "http" not in " ".join(csp.values())  # no CDN: /docs works offline
    assert "'unsafe-eval'" not in " ".join(csp.values())
    assert csp["connect-src"] == "'self'"


async def test_limit_answers_carry_the_headers_too(api: Api) -> None:
    from redis.asyncio import Redis

    from agentstate.api.app import create_app
    from tests.api.conftest import api_settings

    r = Redis.from_url(api.platform.redis_url)
    app = create_app(api_settings(api.server.settings_dir, api.platform, max_request_bytes=10), None, r)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        big = await c.post("/api/v1/auth/login", content=b"x" * 100)
    await r.aclose()
    assert big.status_code == 413
    assert (
        big.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in big.headers["content-security-policy"]
    )
