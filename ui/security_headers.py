"""Response security headers for the Streamlit server: no framing by other sites, a Content-Security-Policy.

Streamlit has no option for extra response headers, but since 1.5x its server is Starlette and
``st.App(script, middleware=[...])`` is its supported way to add ASGI middleware (see
:mod:`agentstate.ui.asgi_app`, which ``agentstate ui`` serves). This module is the middleware: plain
ASGI, no Streamlit import, so it is tested on its own.

The policy allows what Streamlit's own front end needs and nothing from other origins:

* scripts from the server itself, plus Streamlit's inline bootstrap ``<script>`` by its SHA-256 hash
  (read from the installed ``index.html``, so it follows Streamlit upgrades), no ``unsafe-eval``;
* inline styles (Streamlit's CSS-in-JS writes ``<style>`` elements at run time);
* images, fonts and workers from the server or ``data:``/``blob:`` URLs it generates itself;
* connections to the server only (the app's WebSocket; the API is called by the Python side);
* framing by the same origin only (``frame-ancestors 'self'`` and ``X-Frame-Options: SAMEORIGIN``):
  Streamlit shows custom components in same-origin iframes, and clickjacking needs another origin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.util import find_spec
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def inline_script_hashes(html: str) -> list[str]:
    """CSP ``'sha256-...'`` sources of every inline ``<script>`` in ``html`` (scripts with ``src`` skipped)."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def _streamlit_index() -> str:
    spec = find_spec("streamlit")
    if spec is None or spec.origin is None:
        return ""
    index = Path(spec.origin).parent / "static" / "index.html"
    return index.read_text(encoding="utf-8") if index.is_file() else ""


def content_security_policy(script_hashes: list[str]) -> str:
    """The UI's policy, allowing the given inline-script hashes."""
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *script_hashes]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "media-src 'self' data: blob:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def security_headers(script_hashes: list[str]) -> list[tuple[bytes, bytes]]:
    """Every header the UI adds to its HTTP responses."""
    return [
        (b"content-security-policy", content_security_policy(script_hashes).encode()),
        (b"x-frame-options", b"SAMEORIGIN"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to every HTTP response (headers the app set itself win)."""

    def __init__(self, app: ASGIApp, script_hashes: list[str] | None = None) -> None:
        self.app = app
        hashes = inline_script_hashes(_streamlit_index()) if script_hashes is None else script_hashes
        self._headers = security_headers(hashes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self._headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
