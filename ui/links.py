"""Page names and switching to a page: what a view needs to link to another.

Views import this module, never :mod:`agentstate.ui.nav` (which imports every view to build the
navigation), so the pages and the navigation import each other in one direction only.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

TRACES: Final = "traces"
TRACE: Final = "trace"
TIME_MACHINE: Final = "time-machine"
SESSIONS: Final = "sessions"
ANALYTICS: Final = "analytics"
SECURITY: Final = "security"
SETTINGS: Final = "settings"

TITLES: Final = {
    TRACES: ("Traces", ":material/list:"),
    TRACE: ("Trace detail", ":material/account_tree:"),
    TIME_MACHINE: ("Time Machine", ":material/history:"),
    SESSIONS: ("Sessions", ":material/forum:"),
    ANALYTICS: ("Analytics", ":material/monitoring:"),
    SECURITY: ("Security", ":material/shield:"),
    SETTINGS: ("Settings", ":material/settings:"),
}
"""Each page's title and icon."""


def _not_run() -> None:
    """The body of a page reference; the navigation runs the page's real ``render``."""


def go(name: str, **query: str) -> None:
    """Switch to page ``name`` with query parameters (does not return).

    Streamlit finds the target by its URL path alone (a page's identity is the hash of its
    ``url_path``), so a reference to the page, without its renderer, is enough to switch to it.
    """
    title, icon = TITLES[name]
    st.switch_page(st.Page(_not_run, title=title, icon=icon, url_path=name), query_params=query or None)
