"""Settings: a project's ingest keys (create, shown once; revoke), its cost budgets, and snippets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from agentstate.ui import data, session, snippets
from agentstate.ui import format as fmt
from agentstate.ui.client import ApiError
from agentstate.ui.format import escape_markdown
from agentstate.ui.schema import ApiKey
from agentstate.ui.views import budgets
from agentstate.ui.widgets import run_guarded

_NEW_KEY = "settings_new_key"


def _project() -> str | None:
    chosen = session.project()
    if chosen:
        return chosen
    projects = data.projects(session.api_url(), session.token() or "")
    if not projects:
        st.info("You are not a member of any project.")
        return None
    pick = st.selectbox("Project", [p["id"] for p in projects], key="settings_project")
    return str(pick) if pick else None


def _keys_frame(keys: list[ApiKey]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": k["name"],
                "key": k["display"],
                "created": fmt.when(k["created_at"]),
                "revoked": fmt.when(k["revoked_at"]) if k["revoked_at"] else "",
                "id": k["id"],
            }
            for k in keys
        ],
        columns=["name", "key", "created", "revoked", "id"],
    )


def _create(project_id: str) -> None:
    with st.form("new_key", clear_on_submit=True):
        name = st.text_input("Name of the new key", key="settings_key_name", placeholder="e.g. production")
        if st.form_submit_button("Create key", type="primary") and name.strip():
            try:
                st.session_state[_NEW_KEY] = session.client().create_api_key(project_id, name.strip())["key"]
            except ApiError as exc:
                st.error("Only project admins can create keys." if exc.status == 403 else escape_markdown(str(exc)))
            else:
                st.rerun()  # so the key list above shows the new key
    new_key = st.session_state.get(_NEW_KEY)
    if new_key:
        st.warning("Copy this key now: it is shown once and can never be displayed again.")
        st.code(new_key, language=None)
        if st.button("I have copied it", key="settings_key_done"):
            st.session_state.pop(_NEW_KEY, None)
            st.rerun()


def _revoke(project_id: str, keys: list[ApiKey]) -> None:
    active = [k for k in keys if not k["revoked_at"]]
    if not active:
        return
    cols = st.columns([3, 1])
    victim = cols[0].selectbox(
        "Revoke a key", active, key="settings_revoke_pick", format_func=lambda k: f"{k['name']} ({k['display']})"
    )
    if cols[1].button("Revoke", key="settings_revoke") and victim is not None:
        try:
            session.client().revoke_api_key(project_id, victim["id"])
        except ApiError as exc:
            st.error("Only project admins can revoke keys." if exc.status == 403 else escape_markdown(str(exc)))
        else:
            st.toast("Key revoked; receivers refuse it within a minute.")
            st.rerun()


def _snippets() -> None:
    url = snippets.collector_url()
    key = st.session_state.get(_NEW_KEY) or snippets.PLACEHOLDER_KEY
    st.subheader("Send traces here")
    sdk, env, otel = st.tabs(["Python @observe", "OpenTelemetry (env)", "OpenTelemetry (Python)"])
    with sdk:
        st.code(snippets.observe_snippet(url, key), language="python")
    with env:
        st.code(snippets.otel_env_snippet(url, key), language="bash")
    with otel:
        st.code(snippets.otel_python_snippet(url, key), language="python")


def _page() -> None:
    st.title("Settings")
    project_id = _project()
    if project_id is not None:
        st.subheader(f"Ingest keys of {project_id}")
        try:
            keys = session.client().api_keys(project_id)
        except ApiError as exc:
            if exc.status != 403:
                raise
            st.info("Members and admins of the project can see its keys.")
            keys = []
        st.dataframe(_keys_frame(keys), hide_index=True, width="stretch")
        _create(project_id)
        _revoke(project_id, keys)
        budgets.section(project_id)
    _snippets()


def render() -> None:
    """The Settings page."""
    run_guarded(_page)
