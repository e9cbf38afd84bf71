"""Small Streamlit building blocks shared by the pages.

Everything here that shows telemetry shows it as text: ``st.text``/``st.code``/``st.json`` or
Markdown passed through :func:`~agentstate.ui.format.escape_markdown`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Final

import streamlit as st

from agentstate.ui import session
from agentstate.ui.chat import ChatMessage, avatar
from agentstate.ui.client import ApiError
from agentstate.ui.format import as_text, escape_markdown

RANGES: Final = {
    "Last 15 minutes": timedelta(minutes=15),
    "Last hour": timedelta(hours=1),
    "Last 6 hours": timedelta(hours=6),
    "Last 24 hours": timedelta(hours=24),
    "Last 7 days": timedelta(days=7),
    "Last 30 days": timedelta(days=30),
}


def since_iso(delta: timedelta, now: datetime | None = None) -> str:
    """Start of a "last N" window, rounded down to the minute so cache keys stay stable for a minute."""
    start = (now or datetime.now(timezone.utc)) - delta
    return start.replace(second=0, microsecond=0).isoformat()


def time_range(key: str, default: str = "Last 24 hours", container: Any = st) -> str:
    """A time-range picker; returns the window start (ISO 8601) for the API's ``since``."""
    choice = container.selectbox("Time range", list(RANGES), index=list(RANGES).index(default), key=key)
    return since_iso(RANGES[str(choice)])


def scope() -> dict[str, Any]:
    """The project filter every data call carries."""
    return {"project_id": session.project()}


def run_guarded(render: Callable[[], None]) -> None:
    """Run a page; turn API errors into messages (a 401 logs out and returns to the login form)."""
    try:
        render()
    except ApiError as exc:
        if exc.status == 401:
            session.log_out()
            st.warning("Your session has expired; please log in again.")
            st.rerun()
        elif exc.status == 404:
            st.info("Not found (or not visible to you).")
        else:
            st.error(escape_markdown(f"The API answered: {exc}"))


def value(label: str, data: Any, *, key: str | None = None) -> None:
    """A decoded attribute value: structures as a JSON viewer, text as preformatted text."""
    if data is None or data == "" or data == [] or data == {}:
        return
    st.caption(label)
    if isinstance(data, (dict, list)):
        st.json(data, expanded=2)
    else:
        st.code(as_text(data), language=None, wrap_lines=True)


def chat(messages: Sequence[ChatMessage]) -> None:
    """LLM messages as a chat: text, tool calls with their arguments, tool results."""
    for msg in messages:
        with st.chat_message(
            msg.role if msg.role in ("user", "assistant") else msg.role or "assistant", avatar=avatar(msg.role)
        ):
            st.caption(escape_markdown(msg.role + (f" · finish: {msg.finish_reason}" if msg.finish_reason else "")))
            for text in msg.texts:
                st.markdown(escape_markdown(text))
            for call in msg.tool_calls:
                st.markdown(f"🔧 **tool call:** {escape_markdown(call.name) or '?'}")
                value("arguments", call.arguments)
            for result in msg.tool_results:
                st.markdown("↩️ **tool result**")
                st.code(as_text(result.content), language=None, wrap_lines=True)


def tiles(items: Sequence[tuple[str, Any]]) -> Any:
    """A row of metric tiles, each as wide as its value, wrapping on a narrow screen (never cut to "$0.000…").

    Returns the row's container, so a page can add a button at its end.
    """
    row = st.container(horizontal=True, gap="large", vertical_alignment="bottom")
    for label, number in items:
        row.metric(label, number, width="content")
    return row


def download_csv(label: str, frame: Any, file_name: str, key: str) -> None:
    """A button downloading a DataFrame as CSV."""
    st.download_button(
        label,
        frame.to_csv(index=False).encode(),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )


def picked_row(frame: Any, key: str, **options: Any) -> int | None:
    """Show ``frame`` as a full-width table the user picks one row of; return its index, if any.

    ``options`` go to ``st.dataframe`` (``column_config``, ``column_order``, ``height`` …).
    """
    event = st.dataframe(
        frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key=key, **options
    )
    rows = event.selection.rows if event is not None else []
    return int(rows[0]) if rows else None
