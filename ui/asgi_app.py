"""What ``agentstate ui`` serves: the dashboard (:mod:`agentstate.ui.app`) as an ``st.App`` with security headers.

``streamlit run`` on this file finds ``app`` and serves it with uvicorn; the same CLI flags
(``--server.port``, ``--server.address``, ...) apply. ``app.py`` stays the page script, run per session.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from agentstate.ui.security_headers import SecurityHeadersMiddleware

SCRIPT = Path(__file__).resolve().with_name("app.py")
"""The page script each browser session runs."""

app = st.App(SCRIPT, middleware=[Middleware(SecurityHeadersMiddleware)])
