"""The query API application: ``create_app(settings, clickhouse_client, redis)``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from clickhouse_connect.driver.client import Client
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from redis.asyncio import Redis

from agentstate.api import budgets, routes_auth, routes_budgets, routes_data, routes_live, routes_projects
from agentstate.api.account_models import Health
from agentstate.api.bootstrap import prepare_store, resync_registry
from agentstate.api.chstore import ClickHouse
from agentstate.api.limits import LoginGuard, RateLimiter
from agentstate.api.live import LiveHub
from agentstate.api.middleware import LimitsMiddleware
from agentstate.api.settings import ApiSettings
from agentstate.api.sqldb import Database
from agentstate.api.state import ApiState
from agentstate.api.tokens import signing_key

log = logging.getLogger(__name__)

DOCS_URL = "/docs"
DOCS_ASSETS_URL = "/docs/assets"
"""Swagger UI's JS, CSS and icon, served by the API itself."""

API_PREFIX = "/api/v1"

_COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing or invalid access token"},
    403: {"description": "Role too low for this project"},
    404: {"description": "Not found, or not visible to the caller"},
    413: {"description": "Request body too large"},
    429: {"description": "Rate limited or login locked; see Retry-After"},
}


def build_state(settings: ApiSettings, client: Client, redis: Redis) -> ApiState:
    """Wire the shared resources (the SQL store is opened here, migrated at startup)."""
    settings.check()
    return ApiState(
        settings=settings,
        db=Database(settings.database_url),
        ch=ClickHouse(client, settings.clickhouse_database),
        redis=redis,
        jwt_key=signing_key(settings.secret_key),
        pepper=settings.secret_key.encode(),
        limiter=RateLimiter(redis, settings.rate_limit_per_minute),
        logins=LoginGuard(
            redis,
            settings.login_max_failures,
            settings.login_window_seconds,
            settings.login_ip_max_failures,
            settings.login_account_max_failures,
        ),
        live=LiveHub(redis),
    )


def create_app(settings: ApiSettings, clickhouse_client: Client, redis: Redis) -> FastAPI:
    """Build the FastAPI app; its lifespan migrates the store, bootstraps and starts the live feed."""
    state = build_state(settings, clickhouse_client, redis)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(prepare_store, state.db, settings)
        await resync_registry(state.db, redis)
        await budgets.mirror(state.db, redis)
        await state.live.start()
        try:
            yield
        finally:
            await state.live.stop()

    # /docs from Swagger UI files shipped in fastapi-offline (FastAPI's default page loads them from a CDN,
    # so it is blank without internet). ReDoc is left out: one docs page, one CSP to keep right.
    app = FastAPIOffline(
        docs_url=DOCS_URL,
        redoc_url=None,
        static_url=DOCS_ASSETS_URL,
        title="AgentState API",
        version="1",
        lifespan=lifespan,
        responses=_COMMON_RESPONSES,
        description="Query API over AgentState's ClickHouse store. Authenticate with a Bearer token "
        "from POST /api/v1/auth/login.",
    )
    app.state.api = state
    for module in (routes_auth, routes_projects, routes_budgets, routes_data, routes_live):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, tags=["health"], responses={503: {"model": Health}})
    async def readyz() -> Health | JSONResponse:
        """Readiness: ClickHouse, Redis and the SQL store answer."""
        checks = {
            "clickhouse": await state.ch.ping(),
            "redis": await _redis_ok(redis),
            "database": await run_in_threadpool(_db_ok, state.db),
        }
        health = Health(status="ok" if all(checks.values()) else "unavailable", checks=checks)
        return health if all(checks.values()) else JSONResponse(health.model_dump(), 503)

    app.add_middleware(LimitsMiddleware, limiter=lambda: state.limiter, max_body=settings.max_request_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
    )
    return app


async def _redis_ok(redis: Redis) -> bool:
    try:
        return bool(await redis.ping())
    except Exception:
        return False


def _db_ok(db: Database) -> bool:
    try:
        return bool(db.fetch("SELECT 1"))
    except Exception:
        return False
