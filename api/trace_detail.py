"""``GET /traces/{id}`` and ``/steps``: one trace's spans, as a tree and as Time Machine steps.

The trace's time window comes from ``otel_traces_trace_id_ts`` (ordered by TraceId), so the span read
is pruned by the sorting key to the caller's projects and those hours, then by the TraceId bloom index.
That row is written by a materialized view committed just after the spans' own part: in the moment
between, no window is found (``w.2 <= 2``) and the read goes on without the time pruning.
A trace ID that exists only in a project the caller cannot read answers exactly like an unknown one.

GenAI log events (``otel_logs`` rows with the trace's ID, e.g. openai-v2 in events mode) are read in
one more query per trace, grouped by span in ClickHouse, and fill in the messages a span lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentstate.api import genai, genai_events
from agentstate.api.chstore import ClickHouse
from agentstate.api.outputs import cost_source, span_costs_sql
from agentstate.api.params import from_ns
from agentstate.api.steps import build_steps
from agentstate.api.trace_models import GenAi, SpanEvent, SpanLink, SpanOut, Step, StepsOut, TraceDetail

_SPANS = """
WITH (SELECT (toUnixTimestamp(min(Start)) - 1, toUnixTimestamp(max(End)) + 2)
      FROM {db}.otel_traces_trace_id_ts WHERE TraceId = {trace_id:String}) AS w
SELECT SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, toUnixTimestamp64Nano(Timestamp), Duration,
       StatusCode, StatusMessage, SpanAttributes, ResourceAttributes,
       arrayMap(t -> toUnixTimestamp64Nano(t), `Events.Timestamp`), `Events.Name`, `Events.Attributes`,
       `Links.TraceId`, `Links.SpanId`, `Links.Attributes`,
       GenAiOperation, GenAiProvider, GenAiRequestModel, GenAiResponseModel, InputTokens, OutputTokens,
       CacheReadTokens, CacheWriteTokens, ReasoningTokens, AgentName, ToolName, SessionId, UserId, ProjectId
FROM {db}.otel_traces
WHERE ProjectId IN {projects:Array(String)} AND TraceId = {trace_id:String}
  AND (w.2 <= 2 OR (Timestamp >= toDateTime64(w.1, 9) AND Timestamp < toDateTime64(w.2, 9)))
ORDER BY ProjectId, Timestamp, SpanId
LIMIT 1 BY ProjectId, SpanId
LIMIT {limit:UInt32}
"""

_LOGS_TABLE = "otel_logs"
_EVENT_SLACK_S = 300
"""Seconds around the spans' own window in which their log events are looked for (clock skew)."""
_MAX_EVENTS = 50_000

# A trace's GenAI log events, grouped by span in ClickHouse: pruned by the project and the trace's
# time window (the table's sorting key), then by the TraceId bloom index; a replayed record counts once.
_EVENTS = """
SELECT SpanId, arraySort(e -> e.1, groupArray((ts, name, Body, LogAttributes)))
FROM (
    SELECT SpanId, toUnixTimestamp64Nano(Timestamp) AS ts,
           if(EventName != '', EventName, LogAttributes['event.name']) AS name, Body, LogAttributes
    FROM {db}.otel_logs
    WHERE ProjectId = {project:String} AND TraceId = {trace_id:String} AND SpanId != ''
      AND TimestampTime >= toDateTime({lo:Int64}) AND TimestampTime <= toDateTime({hi:Int64})
      AND startsWith(name, 'gen_ai.')
    LIMIT 1 BY SpanId, ts, name, Body
    LIMIT {limit:UInt32}
)
GROUP BY SpanId
"""

_FIELDS = (
    "span_id",
    "parent_span_id",
    "name",
    "kind",
    "service_name",
    "start_ns",
    "duration_ns",
    "status_code",
    "status_message",
    "attributes",
    "resource_attributes",
    "event_times",
    "event_names",
    "event_attributes",
    "link_trace_ids",
    "link_span_ids",
    "link_attributes",
    "operation",
    "provider",
    "request_model",
    "response_model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "agent_name",
    "tool_name",
    "session_id",
    "user_id",
    "project_id",
)


Span = dict[str, Any]


async def fetch_spans(ch: ClickHouse, projects: list[str], trace_id: str, limit: int) -> tuple[list[Span], bool]:
    """The trace's spans (of its first project only), and whether more than ``limit`` exist."""
    rows = await ch.rows(_SPANS, {"projects": projects, "trace_id": trace_id, "limit": limit + 1})
    spans = [dict(zip(_FIELDS, row, strict=True)) for row in rows]
    if spans:
        first = spans[0]["project_id"]
        spans = [s for s in spans if s["project_id"] == first]
    truncated = len(spans) > limit
    spans = spans[:limit]
    if spans:
        costs = await _span_costs(ch, spans[0]["project_id"], [s["span_id"] for s in spans])
        events = await _log_events(ch, spans[0]["project_id"], trace_id, spans)
        for s in spans:
            s["cost_usd"] = costs.get(s["span_id"], 0.0)
            s["log_events"] = events.get(s["span_id"], [])
    return spans, truncated


async def _log_events(
    ch: ClickHouse, project: str, trace_id: str, spans: Sequence[Span]
) -> dict[str, list[genai_events.LogEvent]]:
    """The trace's GenAI log events by span ID (from the trace's project, within its time window)."""
    if _LOGS_TABLE not in await ch.tables():
        return {}
    lo = min(s["start_ns"] for s in spans) // 1_000_000_000 - _EVENT_SLACK_S
    hi = max(s["start_ns"] + s["duration_ns"] for s in spans) // 1_000_000_000 + _EVENT_SLACK_S
    params = {"project": project, "trace_id": trace_id, "lo": lo, "hi": hi, "limit": _MAX_EVENTS}
    rows = await ch.rows(_EVENTS, params)
    return {str(span_id): [genai_events.LogEvent(*e) for e in events] for span_id, events in rows}


def span_messages(s: Span) -> tuple[Any, Any, Any]:
    """A span's input messages, output messages and system instructions.

    Span attributes first; what they lack comes from the span's GenAI log events, so a call whose
    instrumentation sent its messages as events reads the same as one that put them on the span.
    """
    attrs = s["attributes"]
    inputs = genai.messages(attrs, "input")
    outputs = genai.messages(attrs, "output")
    system = genai.system_instructions(attrs)
    if s.get("log_events"):
        ev = genai_events.event_messages(s["log_events"])
        inputs = inputs if inputs else ev.input
        outputs = outputs if outputs else ev.output
        system = system if system else ev.system
    return inputs, outputs, system


async def _span_costs(ch: ClickHouse, project: str, span_ids: list[str]) -> dict[str, float]:
    src = await cost_source(ch)
    if src is None:
        return {}
    rows = await ch.rows(span_costs_sql(src), {"projects": [project], "span_ids": span_ids})
    return {str(r[0]): float(r[1]) for r in rows}


def _genai(s: dict[str, Any]) -> GenAi:
    attrs = s["attributes"]
    inputs, outputs, system = span_messages(s)
    return GenAi(
        operation=s["operation"],
        provider=s["provider"],
        request_model=s["request_model"],
        response_model=s["response_model"],
        input_tokens=s["input_tokens"],
        output_tokens=s["output_tokens"],
        cache_read_tokens=s["cache_read_tokens"],
        cache_write_tokens=s["cache_write_tokens"],
        reasoning_tokens=s["reasoning_tokens"],
        cost_usd=s["cost_usd"],
        agent_name=s["agent_name"],
        tool_name=s["tool_name"],
        session_id=s["session_id"],
        user_id=s["user_id"],
        input_messages=inputs,
        output_messages=outputs,
        system_instructions=system,
        tool_arguments=genai.tool_arguments(attrs, s["operation"]),
        tool_result=genai.tool_result(attrs, s["operation"]),
    )


def tree_order(spans: Sequence[Span]) -> tuple[list[tuple[Span, int]], dict[str, list[str]], list[str]]:
    """Depth-first order with depths, children by parent, and root IDs (orphans count as roots)."""
    ids = {s["span_id"] for s in spans}
    children: dict[str, list[str]] = {s["span_id"]: [] for s in spans}
    roots: list[str] = []
    for s in spans:  # spans arrive sorted by start time, so children lists are too
        parent = s["parent_span_id"]
        if parent and parent in ids and parent != s["span_id"]:
            children[parent].append(s["span_id"])
        else:
            roots.append(s["span_id"])
    by_id = {s["span_id"]: s for s in spans}
    ordered: list[tuple[dict[str, Any], int]] = []
    seen: set[str] = set()
    stack = [(r, 0) for r in reversed(roots)]
    while stack:  # iterative: a 10,000-deep chain must not hit the recursion limit
        span_id, depth = stack.pop()
        if span_id in seen:
            continue
        seen.add(span_id)
        ordered.append((by_id[span_id], depth))
        stack.extend((c, depth + 1) for c in reversed(children[span_id]))
    return ordered, children, roots


def to_detail(trace_id: str, spans: list[dict[str, Any]], truncated: bool) -> TraceDetail:
    """Build the tree response from fetched spans (non-empty)."""
    ordered, children, roots = tree_order(spans)
    start = min(s["start_ns"] for s in spans)
    end = max(s["start_ns"] + s["duration_ns"] for s in spans)
    out = [
        SpanOut(
            span_id=s["span_id"],
            parent_span_id=s["parent_span_id"],
            depth=depth,
            child_ids=children[s["span_id"]],
            name=s["name"],
            kind=s["kind"],
            service_name=s["service_name"],
            start_time=from_ns(s["start_ns"]),
            duration_ms=s["duration_ns"] / 1e6,
            status_code=s["status_code"],
            status_message=s["status_message"],
            attributes=s["attributes"],
            resource_attributes=s["resource_attributes"],
            events=[
                SpanEvent(time=from_ns(t), name=n, attributes=a)
                for t, n, a in zip(s["event_times"], s["event_names"], s["event_attributes"], strict=False)
            ],
            links=[
                SpanLink(trace_id=t, span_id=i, attributes=a)
                for t, i, a in zip(s["link_trace_ids"], s["link_span_ids"], s["link_attributes"], strict=False)
            ],
            genai=_genai(s),
        )
        for s, depth in ordered
    ]
    return TraceDetail(
        trace_id=trace_id,
        project_id=spans[0]["project_id"],
        start_time=from_ns(start),
        duration_ms=(end - start) / 1e6,
        span_count=len(spans),
        truncated=truncated,
        root_span_ids=roots,
        spans=out,
    )


def to_steps(trace_id: str, spans: list[dict[str, Any]], truncated: bool) -> StepsOut:
    """Build the Time Machine view from fetched spans (non-empty)."""
    states = []
    for s in spans:
        attrs = s["attributes"]
        inputs, outputs, _ = span_messages(s)
        states.append(
            {
                "span_id": s["span_id"],
                "parent_span_id": s["parent_span_id"],
                "start_ns": s["start_ns"],
                "name": s["name"],
                "type": genai.step_type(s["operation"]),
                "model": s["response_model"] or s["request_model"],
                "agent_name": s["agent_name"],
                "tool_name": s["tool_name"],
                "input": genai.io_value(attrs, "input"),
                "output": genai.io_value(attrs, "output"),
                "input_messages": inputs,
                "output_messages": outputs,
                "tool_arguments": genai.tool_arguments(attrs, s["operation"]),
                "tool_result": genai.tool_result(attrs, s["operation"]),
                "status_code": s["status_code"],
                "duration_ns": s["duration_ns"],
                "input_tokens": s["input_tokens"],
                "output_tokens": s["output_tokens"],
                "cost_usd": s["cost_usd"],
            }
        )
    steps = []
    for st in build_steps(states):
        start_ns, duration_ns = st.pop("start_ns"), st.pop("duration_ns")
        steps.append(Step(start_time=from_ns(start_ns), duration_ms=duration_ns / 1e6, **st))
    return StepsOut(trace_id=trace_id, project_id=spans[0]["project_id"], truncated=truncated, steps=steps)
