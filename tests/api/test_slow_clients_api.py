"""The API cuts off slow clients too (issue 14, item 9): the CLI serves it with the receiver's read deadlines."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api, api_settings
from tests.conftest import free_port, wait_http


@pytest.fixture
def slow_api(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The API app served the way ``agentstate api`` / ``up`` serve it, with a 1 s head deadline."""
    from redis.asyncio import Redis

    from agentstate.api.app import create_app
    from agentstate.api.server import serve_app
    from agentstate.cli.embedded_api import http_with_deadlines

    monkeypatch.setenv("AGENTSTATE_HEADER_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("AGENTSTATE_BODY_TIMEOUT_SECONDS", "2")
    http = http_with_deadlines()
    port = free_port()
    state: dict[str, Any] = {}

    def main() -> None:
        async def go() -> None:
            state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
            redis = Redis.from_url(api.platform.redis_url)
            app = create_app(api_settings(api.server.settings_dir, api.platform), api.platform.client, redis)
            await serve_app(app, "127.0.0.1", port, state["stop"], http)
            await redis.aclose()

        asyncio.run(go())

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
    yield port
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(30)


def test_a_client_trickling_headers_is_cut_off(slow_api: int) -> None:
    sock = socket.create_connection(("127.0.0.1", slow_api), timeout=10)
    sock.settimeout(0.05)
    started, answer = time.monotonic(), b""
    headers = [b"GET /api/v1/projects HTTP/1.1\r\n", b"Host: x\r\n"] + [b"X-Slow: %d\r\n" % i for i in range(100)]
    try:
        for chunk in headers:
            try:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
            except TimeoutError:
                pass
            except (ConnectionResetError, BrokenPipeError):
                break
            try:
                sock.sendall(chunk)
            except (ConnectionResetError, BrokenPipeError):
                break
            time.sleep(0.25)
    finally:
        sock.close()
    open_for = time.monotonic() - started
    assert open_for < 3.0, f"still open after {open_for:.1f} s"
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
