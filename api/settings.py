"""Settings of the query API, read once from ``AGENTSTATE_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from agentstate.semconv.server_settings import MIN_SECRET_CHARS, ServerSettings

__all__ = ["MIN_SECRET_CHARS", "ApiSettings"]


def _default_database_url() -> str:
    base = os.environ.get("AGENTSTATE_DATA_DIR") or str(Path("~/.agentstate").expanduser())
    return "sqlite:///" + str(Path(base) / "agentstate.db")


class ApiSettings(ServerSettings):
    """Configuration of ``agentstate api`` (and of the API served inside the writer by ``agentstate up``)."""

    database_url: str = Field(
        default_factory=_default_database_url,
        description="Users/projects/keys store: sqlite:///path or postgresql://user:pass@host/db.",
    )
    api_host: str = Field("127.0.0.1", description="Interface the API listens on.")
    api_port: int = Field(8000, ge=0, le=65535, description="API port.")
    admin_email: str = Field("", description="First admin, created at startup when set with a password.")
    admin_password: str = Field("", description="Password of the first admin (>= 8 characters).")
    bootstrap_api_key: str = Field("", description="Ingest key of project 'default' registered by `up`.")
    allowed_origins: str = Field("", description="Comma-separated CORS allowlist (empty: no cross-origin).")
    rate_limit_per_minute: int = Field(100, ge=0, description="Requests per minute per client IP (0 = off).")
    max_request_bytes: int = Field(1_048_576, gt=0, description="Request bodies above this answer 413.")
    jwt_ttl_seconds: int = Field(86_400, gt=0, le=86_400, description="Access-token lifetime (<= 24 h).")
    login_max_failures: int = Field(
        5, gt=0, description="Failed logins per email from one client IP before that IP backs off (30 s, doubling)."
    )
    login_window_seconds: int = Field(900, gt=0, description="Failure-counting window and longest wait.")
    login_ip_max_failures: int = Field(30, gt=0, description="Failed logins per client IP per window, any email.")
    login_account_max_failures: int = Field(
        10, gt=0, description="Failed logins per email per window (all IPs) after which IPs that failed on it wait."
    )
    live_recheck_seconds: float = Field(
        5.0, gt=0, le=60, description="How often an open WS /live re-checks its token and memberships."
    )
    max_range_days: int = Field(31, gt=0, le=366, description="Longest queryable time range.")
    trace_max_hours: int = Field(6, gt=0, le=48, description="Spans later than start + this are not summed.")

    @property
    def origins(self) -> list[str]:
        """The CORS allowlist as a list."""
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    def check(self) -> None:
        """Fail fast on settings a server must not run with."""
        self.require_secret("the API")
        if self.admin_email and len(self.admin_password) < 8:
            raise SystemExit("AGENTSTATE_ADMIN_PASSWORD must be at least 8 characters")
