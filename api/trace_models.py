"""Response bodies of the trace, session, step, analytics and alert routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from agentstate.api.account_models import Output


class TraceSummary(Output):
    """One row of the trace list."""

    trace_id: str
    project_id: str
    root_span_name: str
    service_name: str
    start_time: datetime
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


class TracePage(Output):
    """A page of trace summaries; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[TraceSummary]
    next_cursor: str | None


class GenAi(Output):
    """Normalised GenAI fields of a span, in every dialect of ``agentstate.semconv.dialects``.

    The scalar fields are the normalised columns (``response_model`` falls back to the requested
    model); messages and tool I/O are shown as the instrumentation wrote them.
    """

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
    input_messages: Any = None
    output_messages: Any = None
    system_instructions: Any = None
    tool_arguments: Any = None
    tool_result: Any = None


class SpanEvent(Output):
    """A span event."""

    time: datetime
    name: str
    attributes: dict[str, str]


class SpanLink(Output):
    """A link to another span."""

    trace_id: str
    span_id: str
    attributes: dict[str, str]


class SpanOut(Output):
    """One span; ``depth`` and ``child_ids`` place it in the tree (spans are listed depth-first)."""

    span_id: str
    parent_span_id: str
    depth: int
    child_ids: list[str]
    name: str
    kind: str
    service_name: str
    start_time: datetime
    duration_ms: float
    status_code: str
    status_message: str
    attributes: dict[str, str]
    resource_attributes: dict[str, str]
    events: list[SpanEvent]
    links: list[SpanLink]
    genai: GenAi


class TraceDetail(Output):
    """A whole trace as a tree."""

    trace_id: str
    project_id: str
    start_time: datetime
    duration_ms: float
    span_count: int
    truncated: bool = Field(description="True when the trace has more spans than were returned.")
    root_span_ids: list[str]
    spans: list[SpanOut]


class Change(Output):
    """One field that differs from the previous step."""

    field: str
    before: Any = None
    after: Any = None


StepType = Literal["llm", "tool", "agent", "retrieval", "embedding", "workflow", "span"]


class Step(Output):
    """One step of a run in the Time Machine: what went in, what happened, what came out."""

    index: int
    span_id: str
    parent_span_id: str
    name: str
    type: StepType
    start_time: datetime
    duration_ms: float
    status_code: str
    model: str
    agent_name: str
    tool_name: str
    input: Any = None
    output: Any = None
    input_messages: Any = None
    output_messages: Any = None
    tool_arguments: Any = None
    tool_result: Any = None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    new_messages: list[Any] = Field(description="Input messages the previous LLM step had not seen.")
    changes: list[Change] = Field(description="Fields that differ from the previous step.")


class StepsOut(Output):
    """A run in execution order."""

    trace_id: str
    project_id: str
    truncated: bool
    steps: list[Step]


class SessionSummary(Output):
    """A conversation/thread across traces."""

    session_id: str
    project_id: str
    user_id: str
    first_seen: datetime
    last_seen: datetime
    trace_count: int
    span_count: int
    input_tokens: int
    output_tokens: int
    error_count: int
    cost_usd: float


class SessionPage(Output):
    """A page of sessions, most recently active first."""

    items: list[SessionSummary]
    next_cursor: str | None


class SessionDetail(Output):
    """A session and its traces in order."""

    session: SessionSummary
    traces: list[TraceSummary]


class CostPoint(Output):
    """Cost and tokens of one group in one time bucket."""

    bucket: datetime
    key: str
    cost_usd: float
    input_tokens: int
    output_tokens: int
    calls: int


class UsagePoint(Output):
    """Volume, tokens, latency percentiles and error rate of one group in one time bucket."""

    bucket: datetime
    key: str
    spans: int
    errors: int
    error_rate: float
    input_tokens: int
    output_tokens: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


class CostSeries(Output):
    """``GET /analytics/cost``."""

    group_by: str
    bucket: str
    total_cost_usd: float
    points: list[CostPoint]


class UsageSeries(Output):
    """``GET /analytics/usage``."""

    group_by: str
    bucket: str
    points: list[UsagePoint]


class AlertOut(Output):
    """A security alert."""

    alert_id: str
    project_id: str
    time: datetime
    trace_id: str
    span_id: str
    rule_id: str
    severity: str
    title: str
    detail: str
    acknowledged: bool
    acknowledged_at: str | None


class AlertPage(Output):
    """A page of alerts, newest first."""

    items: list[AlertOut]
    next_cursor: str | None


class AckOut(Output):
    """An acknowledged alert."""

    alert_id: str
    acknowledged_at: str
