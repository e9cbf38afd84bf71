"""The app's pages, defined once so pages can link to each other (``st.switch_page``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import streamlit as st

TRACES: Final = "traces"
TRACE: Final = "trace"
TIME_MACHINE: Final = "time-machine"
SESSIONS: Final = "sessions"
ANALYTICS: Final = "analytics"
SECURITY: Final = "security"
SETTINGS: Final = "settings"

_TITLES: Final = {
    TRACES: ("Traces", ":material/list:"),
    TRACE: ("Trace detail", ":material/account_tree:"),
    TIME_MACHINE: ("Time Machine", ":material/history:"),
    SESSIONS: ("Sessions", ":material/forum:"),
    ANALYTICS: ("Analytics", ":material/monitoring:"),
    SECURITY: ("Security", ":material/shield:"),
    SETTINGS: ("Settings", ":material/settings:"),
}
SECTIONS: Final = {
    "Observe": [TRACES, TRACE, TIME_MACHINE, SESSIONS],
    "Insights": [ANALYTICS, SECURITY],
    "Admin": [SETTINGS],
}


def _renderer(name: str) -> Callable[[], None]:
    from agentstate.ui import views

    render: Callable[[], None] = getattr(views, name.replace("-", "_")).render
    return render


def page(name: str) -> st.Page:
    """The page called ``name`` (a fresh object; Streamlit matches pages by URL path)."""
    title, icon = _TITLES[name]
    return st.Page(_renderer(name), title=title, icon=icon, url_path=name, default=name == TRACES)


def all_pages() -> dict[str, list[st.Page]]:
    """Every page by sidebar section."""
    return {section: [page(n) for n in names] for section, names in SECTIONS.items()}


def go(name: str, **query: str) -> None:
    """Switch to page ``name`` with query parameters (does not return)."""
    st.switch_page(page(name), query_params=query or None)
