"""Cached reads: each page load makes at most one call per resource, keyed by what can change it.

Cache keys always include the API URL and the access token, so one user's data is never served
to another session. A trace changes only while its run is still going, so it is kept for a minute
(the page has a refresh button); lists refresh every few seconds.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from agentstate.ui.client import ApiClient
from agentstate.ui.schema import (
    AlertPage,
    CostSeries,
    Project,
    SessionDetail,
    SessionPage,
    Steps,
    TraceDetail,
    TracePage,
    UsageSeries,
)
from agentstate.ui.session import http_pool

Frozen = tuple[tuple[str, Any], ...]
"""Query parameters as a hashable, order-independent cache key."""


def freeze(params: dict[str, Any]) -> Frozen:
    """Parameters as a cache key (unset values dropped)."""
    return tuple(sorted((k, v) for k, v in params.items() if v is not None and v != ""))


def _client(api_url: str, token: str) -> ApiClient:
    return ApiClient(api_url, token, http_pool())


@st.cache_data(ttl=30, show_spinner=False, max_entries=64)
def projects(api_url: str, token: str) -> list[Project]:
    """Projects the caller can read."""
    return _client(api_url, token).projects()


@st.cache_data(ttl=60, show_spinner=False, max_entries=16)
def trace(api_url: str, token: str, trace_id: str, project_id: str | None) -> TraceDetail:
    """One trace as a tree."""
    return _client(api_url, token).trace(trace_id, project_id)


@st.cache_data(ttl=60, show_spinner=False, max_entries=32)
def steps(api_url: str, token: str, trace_id: str, project_id: str | None) -> Steps:
    """One run as Time Machine steps."""
    return _client(api_url, token).steps(trace_id, project_id)


@st.cache_data(ttl=3, show_spinner=False, max_entries=64)
def traces(api_url: str, token: str, params: Frozen) -> TracePage:
    """A page of traces (short TTL: the table is live)."""
    return _client(api_url, token).traces(dict(params))


@st.cache_data(ttl=10, show_spinner=False, max_entries=32)
def sessions(api_url: str, token: str, params: Frozen) -> SessionPage:
    """A page of sessions."""
    return _client(api_url, token).sessions(dict(params))


@st.cache_data(ttl=10, show_spinner=False, max_entries=32)
def session(api_url: str, token: str, session_id: str, params: Frozen) -> SessionDetail:
    """One session and its traces."""
    return _client(api_url, token).session(session_id, dict(params))


@st.cache_data(ttl=30, show_spinner=False, max_entries=32)
def cost(api_url: str, token: str, params: Frozen) -> CostSeries:
    """Cost series."""
    return _client(api_url, token).cost(dict(params))


@st.cache_data(ttl=30, show_spinner=False, max_entries=32)
def usage(api_url: str, token: str, params: Frozen) -> UsageSeries:
    """Usage series."""
    return _client(api_url, token).usage(dict(params))


@st.cache_data(ttl=5, show_spinner=False, max_entries=32)
def alerts(api_url: str, token: str, params: Frozen) -> AlertPage:
    """A page of alerts."""
    return _client(api_url, token).alerts(dict(params))
