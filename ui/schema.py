"""The JSON shapes the UI reads from the API (``/api/v1``), as ``TypedDict``s.

They mirror the API's response models (its ``/openapi.json`` is the contract); the UI never imports
server code, so the shapes are restated here, and ``tests/ui/test_schema_contract.py`` fails when one
drifts from the model it restates. Timestamps stay ISO 8601 strings as sent.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Project(TypedDict):
    """A project and the caller's role in it."""

    id: str
    name: str
    created_at: str
    role: str


class Budget(TypedDict):
    """A cost budget and the spend against it in its current period (``GET /projects/{id}/budgets``)."""

    id: str
    project_id: str
    scope: str
    limit_usd: float
    period: str
    key: str | None
    severity: str
    created_at: str
    spent_usd: float
    spent_by: str | None
    used: float


class ApiKey(TypedDict):
    """An ingest key as listed (masked)."""

    id: str
    project_id: str
    name: str
    display: str
    created_at: str
    revoked_at: str | None


class NewApiKey(ApiKey):
    """A key just created: ``key`` is shown this once."""

    key: str


class TraceSummary(TypedDict):
    """One row of ``GET /traces``."""

    trace_id: str
    project_id: str
    root_span_name: str
    service_name: str
    start_time: str
    duration_ms: float
    span_count: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: float
    error: bool
    alert_count: int
    session_id: str
    user_id: str
    models: list[str]


class TracePage(TypedDict):
    """A page of traces."""

    items: list[TraceSummary]
    next_cursor: str | None


class GenAi(TypedDict):
    """Normalised GenAI fields of a span."""

    operation: str
    provider: str
    request_model: str
    response_model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float
    agent_name: str
    tool_name: str
    session_id: str
    user_id: str
    input_messages: Any
    output_messages: Any
    system_instructions: Any
    tool_arguments: Any
    tool_result: Any


class SpanEvent(TypedDict):
    """A span event (exceptions are events named ``exception``)."""

    time: str
    name: str
    attributes: dict[str, str]


class Span(TypedDict):
    """One span of ``GET /traces/{id}``; spans come depth-first."""

    span_id: str
    parent_span_id: str
    depth: int
    child_ids: list[str]
    name: str
    kind: str
    service_name: str
    start_time: str
    duration_ms: float
    status_code: str
    status_message: str
    attributes: dict[str, str]
    resource_attributes: dict[str, str]
    events: list[SpanEvent]
    links: list[dict[str, Any]]
    genai: GenAi


class TraceDetail(TypedDict):
    """A whole trace as a tree."""

    trace_id: str
    project_id: str
    start_time: str
    duration_ms: float
    span_count: int
    truncated: bool
    root_span_ids: list[str]
    spans: list[Span]


class Change(TypedDict):
    """A field that differs from the previous step."""

    field: str
    before: Any
    after: Any


class Step(TypedDict):
    """One Time Machine step."""

    index: int
    span_id: str
    parent_span_id: str
    name: str
    type: str
    start_time: str
    duration_ms: float
    status_code: str
    model: str
    agent_name: str
    tool_name: str
    input: Any
    output: Any
    input_messages: Any
    output_messages: Any
    tool_arguments: Any
    tool_result: Any
    input_tokens: int
    output_tokens: int
    cost_usd: float
    new_messages: list[Any]
    changes: list[Change]


class Steps(TypedDict):
    """A run in execution order."""

    trace_id: str
    project_id: str
    truncated: bool
    steps: list[Step]


class SessionSummary(TypedDict):
    """A conversation across traces."""

    session_id: str
    project_id: str
    user_id: str
    first_seen: str
    last_seen: str
    trace_count: int
    span_count: int
    input_tokens: int
    output_tokens: int
    error_count: int
    cost_usd: float


class SessionPage(TypedDict):
    """A page of sessions."""

    items: list[SessionSummary]
    next_cursor: str | None


class SessionDetail(TypedDict):
    """A session and its traces in order."""

    session: SessionSummary
    traces: list[TraceSummary]


class CostSeries(TypedDict):
    """``GET /analytics/cost``: points have bucket, key, cost_usd, input/output_tokens, calls."""

    group_by: str
    bucket: str
    total_cost_usd: float
    points: list[dict[str, Any]]


class UsageSeries(TypedDict):
    """``GET /analytics/usage``: points have bucket, key, spans, errors, error_rate, tokens, p50/p95/p99."""

    group_by: str
    bucket: str
    points: list[dict[str, Any]]


class Alert(TypedDict):
    """A security alert."""

    alert_id: str
    project_id: str
    time: str
    trace_id: str
    span_id: str
    rule_id: str
    severity: str
    title: str
    detail: str
    acknowledged: bool
    acknowledged_at: str | None


class AlertPage(TypedDict):
    """A page of alerts."""

    items: list[Alert]
    next_cursor: str | None
