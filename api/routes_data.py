"""Traces, Time Machine steps, sessions, analytics and alerts: every query scoped to readable projects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool

from agentstate.api import alerts, analytics, repo, sessions, trace_detail, trace_list
from agentstate.api.deps import NOT_FOUND, CurrentUser, State, require_role, scope_projects
from agentstate.api.params import (
    AlertQuery,
    AnalyticsQuery,
    ProjectFilter,
    SessionQuery,
    TraceQuery,
    Window,
    time_range,
)
from agentstate.api.repo import User
from agentstate.api.roles import Role
from agentstate.api.trace_models import (
    AckOut,
    AlertPage,
    CostSeries,
    SessionDetail,
    SessionPage,
    StepsOut,
    TraceDetail,
    TracePage,
    UsageSeries,
)

router = APIRouter(tags=["data"])

TraceId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-fA-F]+$")]
SessionId = Annotated[str, Path(min_length=1, max_length=256)]
AlertId = Annotated[str, Path(min_length=1, max_length=128)]
MAX_TRACE_SPANS = 10_000
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Not found (or not visible to the caller)"}}


async def _scope(state: State, user: User, query: ProjectFilter) -> list[str]:
    return await run_in_threadpool(scope_projects, state, user, query.project_id)


def _slack(state: State) -> int:
    return state.settings.trace_max_hours * 3_600_000_000_000


@router.get("/traces", response_model=TracePage)
async def list_traces(query: Annotated[TraceQuery, Query()], user: CurrentUser, state: State) -> TracePage:
    """Trace summaries, newest first by default, with filters and cursor pagination."""
    projects = await _scope(state, user, query)
    window = time_range(query, state.settings.max_range_days)
    if not projects:
        return TracePage(items=[], next_cursor=None)
    return await trace_list.list_traces(state.ch, projects, query, window, _slack(state))


async def _trace_spans(
    state: State, user: CurrentUser, query: ProjectFilter, trace_id: str
) -> tuple[list[trace_detail.Span], bool]:
    """The spans of a trace the caller may read; 404 (never 403) when there are none."""
    projects = await _scope(state, user, query)
    spans, truncated = await trace_detail.fetch_spans(state.ch, projects, trace_id.lower(), MAX_TRACE_SPANS)
    if not spans:
        raise HTTPException(404, NOT_FOUND)
    return spans, truncated


@router.get("/traces/{trace_id}", response_model=TraceDetail, responses=_NOT_FOUND)
async def get_trace(
    trace_id: TraceId, query: Annotated[ProjectFilter, Query()], user: CurrentUser, state: State
) -> TraceDetail:
    """The whole trace: every span with attributes, events, links and GenAI fields, as a tree."""
    spans, truncated = await _trace_spans(state, user, query, trace_id)
    return trace_detail.to_detail(trace_id.lower(), spans, truncated)


@router.get("/traces/{trace_id}/steps", response_model=StepsOut, responses=_NOT_FOUND)
async def get_steps(
    trace_id: TraceId, query: Annotated[ProjectFilter, Query()], user: CurrentUser, state: State
) -> StepsOut:
    """The Time Machine: spans in execution order, each with its I/O and what changed since the last."""
    spans, truncated = await _trace_spans(state, user, query, trace_id)
    return trace_detail.to_steps(trace_id.lower(), spans, truncated)


@router.get("/sessions", response_model=SessionPage)
async def list_sessions(query: Annotated[SessionQuery, Query()], user: CurrentUser, state: State) -> SessionPage:
    """Sessions (conversations) with activity in the window, most recent first."""
    projects = await _scope(state, user, query)
    window = time_range(query, state.settings.max_range_days)
    if not projects:
        return SessionPage(items=[], next_cursor=None)
    return await sessions.list_sessions(state.ch, projects, query, window)


@router.get("/sessions/{session_id}", response_model=SessionDetail, responses=_NOT_FOUND)
async def get_session(
    session_id: SessionId, query: Annotated[Window, Query()], user: CurrentUser, state: State
) -> SessionDetail:
    """A session and its traces in order (window default: the last 7 days)."""
    projects = await _scope(state, user, query)
    window = time_range(query, state.settings.max_range_days, default_hours=24 * 7)
    summary = await sessions.get_session(state.ch, projects, session_id, window) if projects else None
    if summary is None:
        raise HTTPException(404, NOT_FOUND)
    traces = TraceQuery(session_id=session_id, sort="start", order="asc", limit=1000)
    page = await trace_list.list_traces(state.ch, [summary.project_id], traces, window, _slack(state))
    return SessionDetail(session=summary, traces=page.items)


@router.get("/analytics/cost", response_model=CostSeries)
async def cost(query: Annotated[AnalyticsQuery, Query()], user: CurrentUser, state: State) -> CostSeries:
    """Cost and tokens of GenAI calls by model, provider, agent, user or service per hour, day or week."""
    projects = await _scope(state, user, query)
    window = time_range(query, state.settings.max_range_days)
    if not projects:
        return CostSeries(group_by=query.group_by, bucket=query.bucket, total_cost_usd=0.0, points=[])
    return await analytics.cost_series(state.ch, projects, query, window)


@router.get("/analytics/usage", response_model=UsageSeries)
async def usage(query: Annotated[AnalyticsQuery, Query()], user: CurrentUser, state: State) -> UsageSeries:
    """Spans, errors, error rate, tokens and latency percentiles by group per bucket."""
    projects = await _scope(state, user, query)
    window = time_range(query, state.settings.max_range_days)
    if not projects:
        return UsageSeries(group_by=query.group_by, bucket=query.bucket, points=[])
    return await analytics.usage_series(state.ch, projects, query, window)


@router.get("/alerts", response_model=AlertPage)
async def list_alerts(query: Annotated[AlertQuery, Query()], user: CurrentUser, state: State) -> AlertPage:
    """Security alerts, newest first, with filters."""
    projects = await _scope(state, user, query)
    window = time_range(query, state.settings.max_range_days)
    if not projects:
        return AlertPage(items=[], next_cursor=None)
    acks: dict[str, str] = {}
    for project in projects:
        acks.update(await run_in_threadpool(repo.acked_alerts, state.db, project))
    return await alerts.list_alerts(state.ch, projects, query, window, acks)


@router.post("/alerts/{alert_id}/ack", response_model=AckOut, responses=_NOT_FOUND)
async def ack_alert(
    alert_id: AlertId, query: Annotated[ProjectFilter, Query()], user: CurrentUser, state: State
) -> AckOut:
    """Acknowledge an alert (members and admins of its project)."""
    projects = await _scope(state, user, query)
    project = await alerts.alert_project(state.ch, projects, alert_id) if projects else None
    if project is None:
        raise HTTPException(404, NOT_FOUND)
    await run_in_threadpool(require_role, state, user, project, Role.MEMBER)
    at = await run_in_threadpool(repo.ack_alert, state.db, project, alert_id, user.id)
    return AckOut(alert_id=alert_id, acknowledged_at=at)
