"""The app's navigation: every page by sidebar section, each running its view's ``render``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import streamlit as st

from agentstate.ui import views
from agentstate.ui.links import ANALYTICS, SECURITY, SESSIONS, SETTINGS, TIME_MACHINE, TITLES, TRACE, TRACES

SECTIONS: Final = {
    "Observe": [TRACES, TRACE, TIME_MACHINE, SESSIONS],
    "Insights": [ANALYTICS, SECURITY],
    "Admin": [SETTINGS],
}


def _renderer(name: str) -> Callable[[], None]:
    render: Callable[[], None] = getattr(views, name.replace("-", "_")).render
    return render


def page(name: str) -> st.Page:
    """The page called ``name``, running its view (a fresh object; Streamlit matches pages by URL path)."""
    title, icon = TITLES[name]
    return st.Page(_renderer(name), title=title, icon=icon, url_path=name, default=name == TRACES)


def all_pages() -> dict[str, list[st.Page]]:
    """Every page by sidebar section."""
    return {section: [page(n) for n in names] for section, names in SECTIONS.items()}
