"""Sessions: conversations across traces, and one conversation in order."""

from __future__ import annotations

from typing import Any

import streamlit as st

from agentstate.ui import data, links, session
from agentstate.ui import format as fmt
from agentstate.ui.chat import ChatMessage, to_messages
from agentstate.ui.schema import Step, TraceSummary
from agentstate.ui.tables import sessions_frame, traces_frame
from agentstate.ui.widgets import chat, picked_row, run_guarded, scope, tiles, time_range

MAX_CONVERSATION_TRACES = 20
"""Turns shown as a chat (one steps call each, cached); longer sessions show the first ones."""

_COLUMNS: dict[str, Any] = {"cost_usd": st.column_config.NumberColumn("cost", format=fmt.COST_COLUMN_FORMAT)}


def _turn(steps: list[Step]) -> list[ChatMessage]:
    """What the user asked and what the run answered: the root step's I/O, else the LLM's first and last."""
    if not steps:
        return []
    root = steps[0]
    asked, answered = root["input"], root["output"]
    llm = [s for s in steps if s["type"] == "llm"]
    if asked is None and llm:
        asked = next(
            (m for m in reversed(llm[0]["input_messages"] or []) if isinstance(m, dict) and m.get("role") == "user"),
            None,
        )
    if answered is None and llm:
        answered = llm[-1]["output_messages"]
    return to_messages(asked, "user") + to_messages(answered, "assistant")


def _conversation(traces: list[TraceSummary]) -> None:
    token = session.token() or ""
    for t in traces[:MAX_CONVERSATION_TRACES]:
        st.caption(f"{fmt.when(t['start_time'])} · {t['root_span_name']} · {fmt.short_id(t['trace_id'])}")
        steps = data.steps(session.api_url(), token, t["trace_id"], t["project_id"])["steps"]
        chat(_turn(steps))
    if len(traces) > MAX_CONVERSATION_TRACES:
        st.caption(f"… and {len(traces) - MAX_CONVERSATION_TRACES} more traces (see the table).")


def _detail(session_id: str, project_id: str | None) -> None:
    detail = data.session(session.api_url(), session.token() or "", session_id, data.freeze({"project_id": project_id}))
    s = detail["session"]
    st.subheader("Session " + session_id)
    tiles(
        [
            ("Traces", s["trace_count"]),
            ("Spans", s["span_count"]),
            ("Tokens", fmt.tokens(s["input_tokens"] + s["output_tokens"])),
            ("Cost", fmt.cost(s["cost_usd"])),
            ("Errors", s["error_count"]),
        ]
    )
    frame = traces_frame(detail["traces"])
    picked = picked_row(
        frame,
        "session_traces",
        column_config=_COLUMNS,
        column_order=[c for c in frame.columns if c not in ("session", "project")],
    )
    if picked is not None:
        row = frame.iloc[picked]
        links.go(links.TRACE, trace_id=str(row["trace_id"]), project_id=str(row["project"]))
    st.markdown("**The conversation, in order**")
    _conversation(detail["traces"])


def _page() -> None:
    st.title("Sessions")
    cols = st.columns([2, 2, 4])
    since = time_range("sessions_range", default="Last 7 days", container=cols[0])
    user = cols[1].text_input("User", key="sessions_user")
    params = {**scope(), "since": since, "user_id": user.strip() or None, "limit": 200}
    page = data.sessions(session.api_url(), session.token() or "", data.freeze(params))
    frame = sessions_frame(page["items"])
    picked = picked_row(frame, "sessions_table", column_config=_COLUMNS)
    if picked is not None:
        row = frame.iloc[picked]
        st.query_params["session_id"] = str(row["session"])
        st.query_params["project_id"] = str(row["project"])
    session_id = st.query_params.get("session_id", "")
    if not session_id and len(frame):
        st.caption("Pick a session to read it as a conversation.")
    if session_id:
        st.divider()
        _detail(session_id, st.query_params.get("project_id") or session.project())


def render() -> None:
    """The Sessions page."""
    run_guarded(_page)
