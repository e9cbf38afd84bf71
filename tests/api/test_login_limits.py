"""Failed-login limits (issue 14 items 3, 4, 6): per client IP, per (account, IP) back-off, per account.

Each test drives a second app over the session's store and Valkey through ``httpx.ASGITransport``,
which sets the client address, so every test has IPs of its own and the counters of other tests
(all from 127.0.0.1) never interfere.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from tests.api.conftest import Api

PASSWORD = "password-123"


def _ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 251}.{(n >> 8) % 251}.{(n >> 16) % 251 + 1}"


ClientFor = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def client_for(api: Api) -> AsyncIterator[ClientFor]:
    """``client_for(ip)``: an HTTP client to a fresh app (same store, same Valkey) as seen from ``ip``."""
    from redis.asyncio import Redis

    from agentstate.api.app import create_app
    from agentstate.api.settings import ApiSettings

    redis = Redis.from_url(api.platform.redis_url)
    # The shared test API lifts the per-IP and per-account limits (every test logs in from 127.0.0.1);
    # this app has the defaults back, so they are what is tested here.
    defaults = {k: ApiSettings.model_fields[k].default for k in ("login_ip_max_failures", "login_account_max_failures")}
    app = create_app(api.server.settings.model_copy(update=defaults), api.platform.client, redis)
    clients: list[httpx.AsyncClient] = []

    def make(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://api/api/v1"))
        return clients[-1]

    yield make
    for c in clients:
        await c.aclose()
    await redis.aclose()


def _new_account(api: Api) -> str:
    email = f"lim-{uuid.uuid4().hex[:8]}@example.com"
    with api.http(api.admin) as c:
        assert c.post("/users", json={"email": email, "password": PASSWORD}).status_code == 201
    return email


async def _login(c: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await c.post("/auth/login", json={"email": email, "password": password})


async def test_password_spraying_from_one_ip_is_limited(client_for: ClientFor) -> None:
    """Item 3: 120 different emails with one password from one IP must meet a 429, and keep meeting it."""
    c = client_for(_ip())
    codes = [
        (await _login(c, f"spray-{i}-{uuid.uuid4().hex[:6]}@example.com", "Summer2026!")).status_code
        for i in range(120)
    ]
    assert 429 in codes, "120 failed logins from one IP never answered 429"
    first = codes.index(429)
    assert first <= 30 and set(codes[first:]) == {429}, codes
    assert set(codes[:first]) == {401}
    last = await _login(c, "someone@example.com", "x")
    assert last.status_code == 429 and 0 < int(last.headers["Retry-After"]) <= 900


async def test_a_blocked_ip_does_not_block_other_ips(client_for: ClientFor, api: Api) -> None:
    email = _new_account(api)
    sprayer = client_for(_ip())
    for i in range(31):
        await _login(sprayer, f"spray2-{i}-{uuid.uuid4().hex[:6]}@example.com", "x")
    assert (await _login(sprayer, email, PASSWORD)).status_code == 429
    assert (await _login(client_for(_ip()), email, PASSWORD)).status_code == 200


async def test_bad_logins_from_one_ip_do_not_lock_the_account_out_elsewhere(client_for: ClientFor, api: Api) -> None:
    """Item 4: five unauthenticated bad logins must not lock the real user out of a clean IP."""
    email = _new_account(api)
    attacker, owner = client_for(_ip()), client_for(_ip())
    codes = [(await _login(attacker, email, "guess")).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    assert (await _login(attacker, email, PASSWORD)).status_code == 429  # back-off holds for the attacker
    ok = await _login(owner, email, PASSWORD)
    assert ok.status_code == 200, ok.text


async def test_an_account_under_distributed_attack_refuses_ips_that_failed(client_for: ClientFor, api: Api) -> None:
    """Past the per-account threshold (10), IPs that failed on the account wait; a clean IP still gets in."""
    email = _new_account(api)
    attackers = [client_for(_ip()) for _ in range(3)]
    for c, n in zip(attackers, (4, 4, 2), strict=True):
        assert {(await _login(c, email, "guess")).status_code for _ in range(n)} <= {401, 429}
    refused = await _login(attackers[0], email, PASSWORD)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 900
    newcomer = client_for(_ip())
    assert (await _login(newcomer, email, "guess")).status_code == 429  # one guess, then it waits too
    assert (await _login(newcomer, email, PASSWORD)).status_code == 429
    assert (await _login(client_for(_ip()), email, PASSWORD)).status_code == 200


async def test_success_clears_the_back_off_of_that_ip(client_for: ClientFor, api: Api) -> None:
    email = _new_account(api)
    c = client_for(_ip())
    for _ in range(4):
        assert (await _login(c, email, "typo")).status_code == 401
    assert (await _login(c, email, PASSWORD)).status_code == 200
    assert (await _login(c, email, "typo")).status_code == 401  # counting starts again


async def test_wrong_current_password_on_users_me_counts_like_a_failed_login(client_for: ClientFor, api: Api) -> None:
    """Item 6: PATCH /users/me may not be used to guess the current password without limit."""
    email = _new_account(api)
    c = client_for(_ip())
    token = (await _login(c, email, PASSWORD)).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}

    async def change(current: str) -> httpx.Response:
        return await c.patch(
            "/users/me", headers=auth, json={"current_password": current, "new_password": "password-456"}
        )

    codes = [(await change(f"guess-{i}")).status_code for i in range(5)]
    assert codes == [400, 400, 400, 400, 429]
    locked = await change(PASSWORD)  # even the right password waits out the back-off
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 900
    assert (await c.get("/users/me", headers=auth)).status_code == 200  # the password did not change


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        pytest.param(1, 0, id="first-failure-free"),
        pytest.param(4, 0, id="last-free-failure"),
        pytest.param(5, 30, id="fifth-waits-base"),
        pytest.param(6, 60, id="doubles"),
        pytest.param(8, 240, id="doubles-again"),
        pytest.param(10, 900, id="capped-at-window"),
        pytest.param(200, 900, id="huge-count-stays-capped"),
    ],
)
def test_backoff_grows_exponentially_up_to_the_window(failures: int, expected: int) -> None:
    from agentstate.api.limits import backoff_seconds

    assert backoff_seconds(failures, free=4, base=30, cap=900) == expected
