"""``WS /api/v1/live``: new traces, spans and alerts of the caller's projects, pushed as they are stored.

Authenticate with ``Authorization: Bearer <token>`` on the handshake, or (browsers cannot set
headers) by sending ``{"token": "<token>"}`` as the first message within 5 seconds.

Access is checked again while the socket is open: the token (expiry, and its version, which a
password change bumps) and the caller's read access to every subscribed project, at once when the
caller's access is announced as changed and otherwise every ``live_recheck_seconds``. A socket that
lost access is closed with 1008 (policy violation).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from agentstate.api.deps import scope_projects, user_from_token
from agentstate.api.live import Subscriber
from agentstate.api.state import ApiState

log = logging.getLogger(__name__)

router = APIRouter(tags=["live"])

_AUTH_TIMEOUT = 5.0
_POLICY_VIOLATION = 1008


async def _token(ws: WebSocket) -> str | None:
    scheme, _, token = (ws.headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    try:
        first = await asyncio.wait_for(ws.receive_text(), _AUTH_TIMEOUT)
        data = json.loads(first)
    except (asyncio.TimeoutError, ValueError, WebSocketDisconnect, KeyError, RuntimeError):
        return None
    token_value = data.get("token") if isinstance(data, dict) else None
    return token_value if isinstance(token_value, str) else None


@router.websocket("/live")
async def live(ws: WebSocket, project_id: Annotated[str | None, Query(max_length=128)] = None) -> None:
    """Push ``trace``, ``spans`` and ``alert`` messages for the caller's readable projects."""
    state: ApiState = ws.app.state.api
    await ws.accept()
    token = await _token(ws)
    try:
        if token is None:
            raise HTTPException(401)
        user = await run_in_threadpool(user_from_token, state, token)
        projects = await run_in_threadpool(scope_projects, state, user, project_id)
    except HTTPException:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await ws.close(_POLICY_VIOLATION, "not authorized")
        return
    sub = state.live.add(frozenset(projects), user.id)
    try:
        await ws.send_json({"kind": "ready", "projects": sorted(projects)})
        reader = asyncio.create_task(_drain(ws))
        watcher = asyncio.create_task(_watch(state, token, sub))
        try:
            while not reader.done() and not watcher.done():
                getter = asyncio.create_task(sub.queue.get())
                done, _ = await asyncio.wait({getter, reader, watcher}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done and watcher not in done:  # nothing more once access is gone
                    await ws.send_json(getter.result())
                else:
                    getter.cancel()
        finally:
            reader.cancel()
            watcher.cancel()
        if watcher.done() and not watcher.cancelled():
            await ws.close(_POLICY_VIOLATION, "access revoked")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        state.live.remove(sub)
        with contextlib.suppress(Exception):
            await ws.close()


def _still_allowed(state: ApiState, token: str, projects: frozenset[str]) -> bool:
    """True while ``token`` is valid and its user may still read every one of ``projects``."""
    try:
        user = user_from_token(state, token)
        return projects <= frozenset(scope_projects(state, user, None))
    except HTTPException:
        return False


async def _watch(state: ApiState, token: str, sub: Subscriber) -> None:
    """Return once the subscriber lost access; re-check when woken or every ``live_recheck_seconds``."""
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(sub.recheck.wait(), state.settings.live_recheck_seconds)
        sub.recheck.clear()
        try:
            allowed = await run_in_threadpool(_still_allowed, state, token, sub.projects)
        except Exception:
            # Fail closed: access that cannot be confirmed ends the feed; the client reconnects.
            log.warning("live feed: access re-check failed; closing", exc_info=True)
            return
        if not allowed:
            return


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) client messages until the client goes away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
