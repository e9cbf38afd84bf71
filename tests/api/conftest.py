"""The API under test: a real uvicorn server (in a thread) over the shared platform's chDB and Valkey.

Data is ingested through the real receiver with keys created through the API itself, so project IDs,
key registry and ClickHouse rows are exactly what production would have.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api import otlp
from tests.conftest import SECRET, Platform, free_port, wait_http

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-1"


class ApiThread:
    """The API app served by uvicorn on a free port, in its own thread and event loop."""

    def __init__(self, settings: Any, client: Any, redis_url: str, settings_dir: Path) -> None:
        self.settings = settings
        self.settings_dir = settings_dir
        self.url = f"http://127.0.0.1:{settings.api_port}"
        self._client = client
        self._redis_url = redis_url
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.error: BaseException | None = None
        self.app: Any = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        from redis.asyncio import Redis

        from agentstate.api.app import create_app
        from agentstate.api.server import serve_app

        async def go() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            redis = Redis.from_url(self._redis_url)
            self.app = create_app(self.settings, self._client, redis)
            await serve_app(self.app, "127.0.0.1", self.settings.api_port, self._stop)
            await redis.aclose()

        try:
            asyncio.run(go())
        except BaseException as exc:
            self.error = exc

    def start(self) -> None:
        self._thread.start()
        try:
            wait_http(self.url + "/readyz", timeout=60)
        except TimeoutError:
            raise AssertionError(f"API did not start: {self.error!r}") from None

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def api_settings(tmp: Path, platform: Platform, **extra: Any) -> Any:
    from agentstate.api.settings import ApiSettings

    values: dict[str, Any] = {
        "secret_key": SECRET,
        "database_url": f"sqlite:///{tmp / 'api.db'}",
        "redis_url": platform.redis_url,
        "clickhouse_database": platform.database,
        "api_port": free_port(),
        "admin_email": ADMIN_EMAIL,
        "admin_password": ADMIN_PASSWORD,
        "rate_limit_per_minute": 0,
        "allowed_origins": "http://ui.example",
        # One client IP (127.0.0.1) runs every test, many of which fail logins on purpose: the per-IP and
        # per-account limits have their own tests on apps of their own (test_login_limits.py).
        "login_ip_max_failures": 1_000_000,
        "login_account_max_failures": 1_000_000,
        **extra,
    }
    return ApiSettings(**values)


@dataclass
class Api:
    """Helpers over the running API."""

    server: ApiThread
    platform: Platform
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def http(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=30)

    def login(self, email: str, password: str) -> str:
        with self.http() as c:
            r = c.post("/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    @property
    def admin(self) -> str:
        if "admin" not in self.tokens:
            self.tokens["admin"] = self.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        return self.tokens["admin"]

    def new_project(self, name: str = "proj") -> str:
        with self.http(self.admin) as c:
            r = c.post("/projects", json={"name": name})
        assert r.status_code == 201, r.text
        pid: str = r.json()["id"]
        return pid

    def new_key(self, project: str) -> str:
        with self.http(self.admin) as c:
            r = c.post(f"/projects/{project}/api-keys", json={"name": "k"})
        assert r.status_code == 201, r.text
        key: str = r.json()["key"]
        return key

    def new_user(self, project: str | None, role: str | None) -> tuple[str, str]:
        """Create a user (with ``role`` in ``project``); return ``(user_id, token)``."""
        email = f"u-{uuid.uuid4().hex[:8]}@example.com"
        with self.http(self.admin) as c:
            r = c.post("/users", json={"email": email, "password": "password-123"})
            assert r.status_code == 201, r.text
            uid: str = r.json()["id"]
            if project and role:
                r = c.put(f"/projects/{project}/members", json={"user_id": uid, "role": role})
                assert r.status_code == 200, r.text
        return uid, self.login(email, "password-123")

    def ingest(self, key: str, spans: list[otlp.Span], **kw: Any) -> None:
        r = httpx.post(
            self.platform.otlp_http_url + "/v1/traces",
            content=otlp.request(spans, **kw),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=30,
        )
        assert r.status_code == 200, r.text

    def wait_spans(self, project: str, expected: int) -> None:
        n = self.platform.wait_rows(
            f"SELECT count() FROM {self.platform.database}.otel_traces WHERE ProjectId = {{p:String}}",
            {"p": project},
            expected,
        )
        assert n >= expected, f"only {n}/{expected} spans of {project} stored"
        # The trace list reads the per-trace tables, which materialized views fill in the same insert
        # but commit after the source part: wait for them too, or a list can miss the newest trace.
        db = self.platform.database
        for table, count in (("trace_roots", "count()"), ("trace_summary", "uniqExact(TraceId)")):
            want = int(
                self.platform.query(
                    f"SELECT {count} FROM {db}.otel_traces WHERE ProjectId = {{p:String}}"
                    + (" AND ParentSpanId = ''" if table == "trace_roots" else ""),
                    {"p": project},
                )[0][0]
            )
            got = self.platform.wait_rows(
                f"SELECT {count} FROM {db}.{table} WHERE ProjectId = {{p:String}}", {"p": project}, want
            )
            assert got >= want, f"only {got}/{want} rows of {project} in {table}"


@pytest.fixture(scope="session")
def api(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API, started once per session."""
    tmp = tmp_path_factory.mktemp("api")
    server = ApiThread(
        api_settings(tmp, platform), platform.client, platform.redis_url, tmp_path_factory.mktemp("api-extra")
    )
    server.start()
    yield Api(server, platform)
    server.stop()


@dataclass
class Dataset:
    """Two projects with known traces, ingested once per session."""

    project_a: str
    project_b: str
    key_a: str
    key_b: str
    traces_a: list[str]
    trace_b: str
    session: str
    base_ns: int


@pytest.fixture(scope="session")
def dataset(api: Api) -> Dataset:
    """Project A: 6 agent runs (2 models, one session of 3 runs, one error); project B: one run."""
    a, b = api.new_project("alpha"), api.new_project("beta")
    key_a, key_b = api.new_key(a), api.new_key(b)
    base = time.time_ns() - 3_600_000_000_000  # an hour ago
    session = f"sess-{uuid.uuid4().hex[:6]}"
    traces, spans = [], []
    for i in range(6):
        tid = otlp.new_trace_id()
        traces.append(tid)
        spans += otlp.agent_run(
            tid,
            base + i * 60_000_000_000,
            model="gpt-4o" if i % 2 else "claude-3",
            session=session if i < 3 else "",
            user="alice" if i < 3 else "bob",
            error=i == 5,
        )
    api.ingest(key_a, spans, service="shop")
    trace_b = otlp.new_trace_id()
    api.ingest(key_b, otlp.agent_run(trace_b, base, model="gpt-4o"), service="bank")
    api.wait_spans(a, len(spans))
    api.wait_spans(b, 4)
    return Dataset(a, b, key_a, key_b, traces, trace_b, session, base)
