"""The AgentState dashboard: ``agentstate ui`` runs ``streamlit run`` on this file.

Logged out, every URL shows the login form. Logged in, the sidebar holds the project switcher and
the pages; each page talks to the API (``AGENTSTATE_API_URL``) through :mod:`agentstate.ui.client`.
"""

from __future__ import annotations

import streamlit as st

from agentstate.ui import data, nav, session
from agentstate.ui.client import ApiError
from agentstate.ui.format import escape_markdown


def _login() -> None:
    st.title("AgentState")
    st.caption(escape_markdown(f"Observability for AI agents · API {session.api_url()}"))
    with st.form("login"):
        email = st.text_input("Email", key="login_email")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            session.log_in(email, password)
        except ApiError as exc:
            st.error("Invalid email or password." if exc.status == 401 else escape_markdown(str(exc)))
        else:
            st.rerun()


def _sidebar() -> None:
    token = session.token()
    assert token is not None
    try:
        projects = data.projects(session.api_url(), token)
    except ApiError as exc:
        if exc.status == 401:
            session.log_out()
            st.rerun()
        st.sidebar.error(escape_markdown(str(exc)))
        projects = []
    ids = [session.ALL_PROJECTS, *[p["id"] for p in projects]]
    names = {p["id"]: f"{p['name']} ({p['id']})" for p in projects}
    if st.session_state.get(session.PROJECT) not in ids:
        st.session_state[session.PROJECT] = session.ALL_PROJECTS
    st.sidebar.selectbox("Project", ids, key=session.PROJECT, format_func=lambda i: names.get(i, "All projects"))
    st.sidebar.caption(escape_markdown(f"Signed in as {st.session_state.get(session.EMAIL, '')}"))
    if st.sidebar.button("Log out", key="logout"):
        session.log_out()
        st.rerun()


def main() -> None:
    """Entry point of every rerun."""
    # No "Deploy" button or developer menu for the people reading traces. Set here too, not only by the
    # launcher's --client.toolbarMode flag, so `streamlit run` on this file hides them as well; a script
    # option applies from the next run, which is why the launcher sets it first.
    st.set_option("client.toolbarMode", "viewer")
    st.set_page_config(page_title="AgentState", page_icon="🛰️", layout="wide")
    if session.token() is None:
        st.navigation([st.Page(_login, title="Log in", url_path="login")], position="hidden").run()
        return
    nav_pages = st.navigation(nav.all_pages())
    _sidebar()
    nav_pages.run()


if __name__ == "__main__":  # `streamlit run` executes this file as __main__; importing it runs nothing
    main()
