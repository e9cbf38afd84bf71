"""Traces: a live, filterable, searchable table, newest first; pick a row to open the trace."""

from __future__ import annotations

from typing import Any

import streamlit as st

from agentstate.ui import data, links, session
from agentstate.ui import format as fmt
from agentstate.ui.filters import TraceFilters
from agentstate.ui.tables import traces_frame
from agentstate.ui.widgets import picked_row, run_guarded, scope, time_range

REFRESH_SECONDS = 5
_CURSORS = "traces_cursors"

_COLUMNS: dict[str, Any] = {
    "status": st.column_config.TextColumn("", width="small"),
    "duration_ms": st.column_config.NumberColumn("duration (ms)", format="%.1f"),
    "cost_usd": st.column_config.NumberColumn("cost", format=fmt.COST_COLUMN_FORMAT),
    "trace_id": st.column_config.TextColumn("trace id"),
}


def _filters() -> TraceFilters:
    top = st.columns([2, 1, 2, 1, 1])
    since = time_range("traces_range", container=top[0])
    status = top[1].selectbox("Status", ["any", "ok", "error"], key="traces_status")
    search = top[2].text_input("Search", key="traces_q", placeholder="span names and attribute values")
    sort = top[3].selectbox("Sort by", ["start", "duration"], key="traces_sort")
    limit = top[4].selectbox("Rows", [50, 100, 200, 500], key="traces_limit")
    with st.expander("More filters", expanded=False):
        cols = st.columns(4)
        service = cols[0].text_input("Service", key="traces_service")
        model = cols[1].text_input("Model", key="traces_model")
        agent = cols[2].text_input("Agent", key="traces_agent")
        session_id = cols[3].text_input("Session", key="traces_session")
        cols = st.columns(4)
        user_id = cols[0].text_input("User", key="traces_user")
        min_cost = cols[1].number_input("Min cost ($)", min_value=0.0, step=0.001, format="%.4f", key="traces_cost")
        min_dur = cols[2].number_input("Min duration (ms)", min_value=0.0, step=100.0, key="traces_dur")
    return TraceFilters(
        since=since,
        project_id=scope()["project_id"],
        status=str(status),
        service=service,
        model=model,
        agent=agent,
        session_id=session_id,
        user_id=user_id,
        search=search,
        min_cost=float(min_cost),
        min_duration_ms=float(min_dur),
        sort=str(sort),
        limit=int(limit),
    )


def _table(filters: TraceFilters) -> None:
    token = session.token() or ""
    cursors: list[str | None] = st.session_state.setdefault(_CURSORS, [None])
    page = data.traces(session.api_url(), token, data.freeze(filters.params(cursors[-1])))
    frame = traces_frame(page["items"])
    st.caption(f"{len(frame)} traces on page {len(cursors)}" + (" · newest first" if filters.sort == "start" else ""))
    picked = picked_row(
        frame,
        "traces_table",
        height=min(36 * (len(frame) + 1) + 2, 640),
        column_config=_COLUMNS,
        column_order=[c for c in frame.columns if c != "project"],
    )
    if picked is not None:
        row = frame.iloc[picked]
        links.go(links.TRACE, trace_id=str(row["trace_id"]), project_id=str(row["project"]))
    prev_col, next_col, _ = st.columns([1, 1, 6])
    if prev_col.button("◀ Newer", disabled=len(cursors) == 1, key="traces_prev"):
        cursors.pop()
        st.rerun()
    if next_col.button("Older ▶", disabled=page["next_cursor"] is None, key="traces_next"):
        cursors.append(page["next_cursor"])
        st.rerun()


def _request_open() -> None:
    typed = str(st.session_state.get("traces_open_id") or "").strip().lower()
    if typed:
        st.session_state["traces_open_pending"] = typed


def _page() -> None:
    pending = st.session_state.pop("traces_open_pending", None)
    if pending:  # before any query: opening a trace should not wait for this page's table
        links.go(links.TRACE, trace_id=pending)
    st.title("Traces")
    filters = _filters()
    if st.session_state.get("traces_last_filters") != filters:
        st.session_state["traces_last_filters"] = filters
        st.session_state[_CURSORS] = [None]
    live = st.toggle("Live (refresh every 5 s)", value=True, key="traces_live")
    opener = st.columns([3, 1])
    typed = opener[0].text_input("Open a trace by ID", key="traces_open_id", placeholder="32 hex characters")
    opener[1].button("Open", key="traces_open", on_click=_request_open, disabled=not typed.strip())
    run_every = REFRESH_SECONDS if live else None
    st.fragment(run_every=run_every)(_table)(filters)


def render() -> None:
    """The Traces page."""
    run_guarded(_page)
