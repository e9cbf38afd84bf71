"""Query-string models of the data routes, time windows and opaque cursors.

Query models forbid unknown parameters, cap page sizes (``limit`` <= 1000) and time ranges
(<= ``max_range_days``): an unbounded scan is never one request away (OWASP API4).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Short = Annotated[str, StringConstraints(max_length=256)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=128)]

MAX_LIMIT = 1000


class ProjectFilter(BaseModel):
    """Which project to look in; the base of every data query."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: Id | None = Field(None, description="Only this project (default: every project you can read).")


class Window(ProjectFilter):
    """A project filter and a time window."""

    since: datetime | None = Field(None, description="Start of the window, ISO 8601 (default: `until` - 24 h).")
    until: datetime | None = Field(None, description="End of the window, ISO 8601 (default: now).")


class TraceQuery(Window):
    """Filters, sorting and paging of ``GET /traces``."""

    service: Short | None = None
    status: Literal["ok", "error"] | None = None
    model: Short | None = None
    agent: Short | None = None
    session_id: Short | None = None
    user_id: Short | None = None
    min_duration_ms: float | None = Field(None, ge=0, le=1e12)
    min_cost: float | None = Field(None, ge=0, le=1e9)
    q: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="Free text over span names and attribute values (case-insensitive)."
    )
    sort: Literal["start", "duration"] = "start"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: Annotated[str, StringConstraints(max_length=512)] | None = None


class SessionQuery(Window):
    """Filters and paging of ``GET /sessions``."""

    user_id: Short | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: Annotated[str, StringConstraints(max_length=512)] | None = None


GroupBy = Literal["model", "model_version", "provider", "agent", "user", "service"]
Bucket = Literal["hour", "day", "week"]


class AnalyticsQuery(Window):
    """Grouping and bucketing of ``GET /analytics/*``."""

    group_by: GroupBy = "model"
    bucket: Bucket = "hour"


class AlertQuery(Window):
    """Filters and paging of ``GET /alerts``."""

    severity: Literal["low", "medium", "high", "critical"] | None = None
    rule_id: Short | None = None
    trace_id: Short | None = None
    acknowledged: bool | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: Annotated[str, StringConstraints(max_length=512)] | None = None


def invalid(field: str, message: str, value: Any = None) -> RequestValidationError:
    """A 422 in FastAPI's usual validation-error shape, for checks that need settings or decoding."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}])


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _utc_param(value: datetime, field: str) -> datetime:
    """``value`` in UTC, or a 422 when that falls outside the years 1–9999 (``0001-01-01T00:00+00:02``)."""
    try:
        return _utc(value)
    except OverflowError:
        raise invalid(field, "date out of range once converted to UTC", str(value)) from None


def time_range(window: Window, max_days: int, default_hours: float = 24.0) -> tuple[int, int]:
    """Return ``(from_ns, to_ns)`` of the window, or raise 422 if it is inverted, too long or out of range."""
    until = _utc_param(window.until, "until") if window.until else datetime.now(timezone.utc)
    try:
        since = _utc_param(window.since, "since") if window.since else until - timedelta(hours=default_hours)
    except OverflowError:  # the default window would start before year 1
        raise invalid("until", "date out of range: no default window ends there", str(window.until)) from None
    if since >= until:
        raise invalid("since", "'since' must be before 'until'", str(window.since))
    if until - since > timedelta(days=max_days):
        raise invalid("since", f"time range longer than {max_days} days", str(window.since))
    return to_ns(since), to_ns(until)


def to_ns(value: datetime) -> int:
    """Unix nanoseconds of an aware datetime (exact, via integer arithmetic)."""
    delta = _utc(value) - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def from_ns(value: int) -> datetime:
    """An aware UTC datetime from Unix nanoseconds (microsecond precision)."""
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=int(value) // 1000)


def encode_cursor(data: dict[str, Any]) -> str:
    """An opaque cursor from keyset values."""
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, expected: dict[str, type]) -> dict[str, Any] | None:
    """Decode a cursor made by :func:`encode_cursor`, checking its fields' types; 422 if invalid."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("cursor", "invalid cursor", cursor) from None
    if (
        not isinstance(data, dict)
        or set(data) != set(expected)
        or not all(type(data[k]) is t for k, t in expected.items())
    ):
        raise invalid("cursor", "invalid cursor", cursor)
    return data
