"""ASGI middleware: per-IP rate limit, request-body cap and response security headers."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentstate.api.limits import RateLimiter

_EXEMPT = frozenset({"/healthz", "/readyz"})


_JSON_POLICY = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""JSON answers load and run nothing, and may not be framed."""

_DOCS_POLICY = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; "
    b"base-uri 'none'; form-action 'none'"
)
"""The Swagger UI page: its bundle served by the API itself (:mod:`agentstate.api.docs`, no CDN) and
FastAPI's inline start-up script (no user data)."""

_DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})


def _security_headers(path: str) -> list[tuple[bytes, bytes]]:
    policy = _DOCS_POLICY if path in _DOCS_PATHS else _JSON_POLICY
    return [*_SECURITY_HEADERS, (b"content-security-policy", policy)]


async def _reply(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    raw += _security_headers("")
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    """Answers 429 (with ``Retry-After``) past the per-IP rate and 413 past the body cap."""

    def __init__(self, app: ASGIApp, limiter: Callable[[], RateLimiter], max_body: int) -> None:
        self.app = app
        self._limiter = limiter
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in _EXEMPT:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = await self._limiter().hit(str(client))
        if wait:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": "rate limited"})
                return
            await _reply(send, 429, "rate limit exceeded", {"Retry-After": str(wait)})
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _reply(send, 413, "request body too large")
            return
        # Bodies are small (capped), so read the whole body first: a 413 then never races the route.
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _reply(send, 413, "request body too large")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_security_headers(scope["path"])]
            await send(message)

        await self.app(scope, replay, with_headers)


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
