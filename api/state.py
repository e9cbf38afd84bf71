"""Everything a request handler needs, built once per app."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from agentstate.api.chstore import ClickHouse
from agentstate.api.limits import LoginGuard, RateLimiter
from agentstate.api.live import LiveHub
from agentstate.api.settings import ApiSettings
from agentstate.api.sqldb import Database


@dataclass
class ApiState:
    """The app's shared resources (on ``app.state.api``)."""

    settings: ApiSettings
    db: Database
    ch: ClickHouse
    redis: Redis
    jwt_key: bytes
    pepper: bytes
    limiter: RateLimiter
    logins: LoginGuard
    live: LiveHub
