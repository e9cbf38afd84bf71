"""Who is logged in, to which API, looking at which project: the Streamlit session's state.

The access token lives only in this browser session's server-side state (never in the URL or a
cookie); closing the tab logs out.
"""

from __future__ import annotations

from typing import Final

import httpx
import streamlit as st

from agentstate.ui.client import TIMEOUT_SECONDS, ApiClient, api_url_from_env

TOKEN: Final = "as_token"  # noqa: S105 - a session-state key name, not a secret
EMAIL: Final = "as_email"
PROJECT: Final = "as_project"
ALL_PROJECTS: Final = ""
"""The project switcher's "every project I can read" choice."""


@st.cache_resource(show_spinner=False)
def http_pool() -> httpx.Client:
    """One connection pool per UI process, shared by every session (requests carry their own token)."""
    return httpx.Client(timeout=TIMEOUT_SECONDS)


def api_url() -> str:
    """The API this UI talks to (``AGENTSTATE_API_URL``)."""
    return api_url_from_env()


def token() -> str | None:
    """The session's access token, if logged in."""
    value = st.session_state.get(TOKEN)
    return str(value) if value else None


def client() -> ApiClient:
    """An API client carrying the session's token."""
    return ApiClient(api_url(), token(), http_pool())


def log_in(email: str, password: str) -> None:
    """Log in against the API and keep the token in the session (raises ``ApiError``)."""
    st.session_state[TOKEN] = client().login(email, password)
    st.session_state[EMAIL] = email


def log_out() -> None:
    """Forget the token and everything derived from it."""
    for key in (TOKEN, EMAIL, PROJECT):
        st.session_state.pop(key, None)


def project() -> str | None:
    """The selected project ID, or None for every readable project."""
    value = st.session_state.get(PROJECT)
    return str(value) if value else None
