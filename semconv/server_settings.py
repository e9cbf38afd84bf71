"""The settings every server part shares, with one rule each: Redis, ClickHouse, the secret key.

The receiver, the workers and the API each extend :class:`ServerSettings` with their own fields
(pydantic-settings, ``AGENTSTATE_*`` variables), so a shared setting has one default, one validation
and one description everywhere. Imported by server parts only (the SDK never loads pydantic).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_CHARS = 32
"""The server secret signs JWTs (HS256) and peppers ingest-key hashes: at least 256 bits (RFC 8725 §3.5)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def default_clickhouse_url() -> str:
    """Embedded chDB under ``~/.agentstate/clickhouse`` (what ``agentstate up`` uses)."""
    return "chdb://" + str(Path("~/.agentstate/clickhouse").expanduser())


class ServerSettings(BaseSettings):
    """Fields shared by every server part."""

    model_config = SettingsConfigDict(env_prefix="AGENTSTATE_", extra="ignore", frozen=True)

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis/Valkey URL of the streams and registries.")
    clickhouse_url: str = Field(
        default_factory=default_clickhouse_url,
        description="ClickHouse: http(s)://user:pass@host:8123 for a server, chdb:///dir for embedded chDB.",
    )
    clickhouse_database: str = Field("agentstate", description="ClickHouse database of all tables.")
    secret_key: str = Field(
        "",
        description=f"Server secret: signs JWTs and peppers ingest-key hashes (>= {MIN_SECRET_CHARS} characters; "
        "the receiver and the API must share it).",
    )

    header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        description="A request's head (line and headers) must arrive within this many seconds of the connection "
        "opening, or of its first byte on a kept-alive connection; else 408 and the connection is closed.",
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        description="A request's body must arrive within this many seconds of its head; else 408 and close.",
    )

    @field_validator("clickhouse_database")
    @classmethod
    def _identifier(cls, v: str) -> str:
        if not _IDENTIFIER.fullmatch(v):
            raise ValueError("must be a plain identifier")
        return v

    def require_secret(self, who: str) -> None:
        """Fail fast when a part that needs the secret runs without a strong one."""
        if len(self.secret_key) < MIN_SECRET_CHARS:
            raise SystemExit(f"AGENTSTATE_SECRET_KEY must be set to at least {MIN_SECRET_CHARS} characters for {who}")
