"""Request-receipt deadlines for uvicorn: a slow client is cut off instead of holding a socket.

uvicorn times nothing while a request arrives: ``timeout_keep_alive`` runs only *between*
requests and every received byte resets it, and no ASGI middleware runs before the head is parsed
(uvicorn issue #157, "--timeout-request-start", is still open). A client trickling one header byte
a second therefore held a connection forever; 200 of them stayed open for 45 s in an attack run.

:func:`deadline_protocol` wraps uvicorn's own HTTP protocol (httptools, else h11) with two
absolute deadlines, like hyper's ``header_read_timeout`` and Go's ``ReadHeaderTimeout``:

* the **head** must be complete ``head_seconds`` after the connection opens or, on a kept-alive
  connection, after the next request's first byte (idling in between stays keep-alive's business);
* the **body** must be complete ``body_seconds`` after the head, whether or not the app reads it.

On expiry the client gets ``408 Request Timeout`` (unless a response has started) and the
connection is closed. It relies on two attributes both uvicorn protocols share: ``cycle`` (the
current request, created when its head is complete) and ``cycle.more_body`` (False once the whole
message arrived); ``tests/integration/test_slow_clients.py`` fails if either changes meaning.
"""

from __future__ import annotations

import asyncio
from typing import Any

_TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class _DeadlineMixin(asyncio.Protocol):
    """Arms one timer per request while it is being received; see the module docstring."""

    head_seconds: float
    body_seconds: float
    cycle: Any
    transport: asyncio.Transport
    _deadline: asyncio.TimerHandle | None = None
    _in_body = False
    _seen_cycle: Any = None

    def _arm(self, seconds: float, *, body: bool = False) -> None:
        self._disarm()
        self._in_body = body
        self._deadline = asyncio.get_running_loop().call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm(self.head_seconds)

    def data_received(self, data: bytes) -> None:
        if self._deadline is None:  # first byte of the next request on a kept-alive connection
            self._arm(self.head_seconds)
        super().data_received(data)
        cycle = self.cycle
        if cycle is None:
            return
        if cycle is not self._seen_cycle:  # a new request's head just completed
            self._seen_cycle = cycle
            self._arm(self.body_seconds, body=True)
        if not cycle.more_body:  # and all of its body arrived
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _expired(self) -> None:
        self._deadline = None
        transport = self.transport
        if transport.is_closing():
            return
        if not (self._in_body and self.cycle.response_started):  # never inside a response
            transport.write(_TIMEOUT_RESPONSE)
        transport.close()


def _base() -> type[asyncio.Protocol]:
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover - uvicorn's own fallback
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    return HttpToolsProtocol


def deadline_protocol(head_seconds: float, body_seconds: float) -> type[asyncio.Protocol]:
    """Return uvicorn's HTTP protocol class with request-receipt deadlines; pass as ``Config(http=...)``."""
    name = "DeadlineHTTPProtocol"
    attrs = {"head_seconds": head_seconds, "body_seconds": body_seconds}
    return type(name, (_DeadlineMixin, _base()), attrs)
