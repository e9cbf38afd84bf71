"""POST serialized OTLP requests over HTTP and classify the answer the OTLP way.

Standard library only (``http.client``) so the status code and ``Retry-After`` of every attempt
are ours to act on: the stock exporter retries internally and hides both, and the spool needs them.
Connections are kept alive per thread, and :meth:`HttpSender.abort` can cut in-flight requests so
the application exits promptly even when the collector hangs.
"""

from __future__ import annotations

import contextlib
import enum
import http.client
import math
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final
from urllib.parse import urlsplit

from agentstate._internal.version import VERSION

RETRYABLE_STATUS: Final = frozenset({429, 502, 503, 504})
"""Statuses the OTLP specification says to retry; every other non-2xx is final."""

MAX_RETRY_AFTER: Final = 600.0
"""Longest ``Retry-After`` honoured, in seconds."""

_MAX_RESPONSE_BYTES: Final = 64 * 1024


class Outcome(enum.Enum):
    """What to do with a batch after one attempt."""

    SUCCESS = "success"
    """2xx: the batch is delivered."""
    RETRY = "retry"
    """429/502/503/504 or no answer: keep the batch and try later."""
    DROP = "drop"
    """Any other answer (400, 401, 403, 413 …): retrying cannot help."""


@dataclass(frozen=True)
class SendResult:
    """The answer to one POST.

    Attributes:
        status: HTTP status, or ``None`` if no answer arrived (connection error, timeout).
        retry_after: Seconds from the ``Retry-After`` header, if present and valid.
        error: Description of a transport error.
        body: Response body (at most 64 KiB).
    """

    status: int | None
    retry_after: float | None = None
    error: str | None = None
    body: bytes = b""

    @property
    def outcome(self) -> Outcome:
        """The OTLP retry class of this answer."""
        return classify(self.status)


def classify(status: int | None) -> Outcome:
    """Map an HTTP status (``None`` = no answer) to its :class:`Outcome`."""
    if status is None or status in RETRYABLE_STATUS:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.SUCCESS
    return Outcome.DROP


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP-date (RFC 9110).

    Returns ``None`` for a missing or malformed value; caps the result at :data:`MAX_RETRY_AFTER`.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class HttpSender:
    """Sends request bodies to one OTLP/HTTP endpoint.

    Args:
        endpoint: Full URL, e.g. ``http://127.0.0.1:4318/v1/traces``.
        headers: Extra headers (authentication); content type and user agent are added.
        timeout: Default seconds per attempt.
    """

    def __init__(self, endpoint: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {endpoint!r}")
        self.endpoint = endpoint
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = {
            "Content-Type": "application/x-protobuf",
            "User-Agent": f"agentstate-python/{VERSION}",
            **(headers or {}),
        }
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._active: set[http.client.HTTPConnection] = set()
        self._all: set[http.client.HTTPConnection] = set()
        self._ssl = ssl.create_default_context() if self._https else None

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._ssl is not None:
                conn = http.client.HTTPSConnection(self._host, self._port, timeout=timeout, context=self._ssl)
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
            self._local.conn = conn
            with self._lock:
                self._all.add(conn)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()
            with self._lock:
                self._all.discard(conn)

    def send(self, body: bytes, timeout: float | None = None) -> SendResult:
        """POST ``body``; never raises. A reused connection that turns out stale is retried once."""
        limit = self.timeout if timeout is None else max(timeout, 0.001)
        reused = getattr(self._local, "conn", None) is not None
        result = self._attempt(body, limit)
        if result.status is None and reused:
            result = self._attempt(body, limit)
        return result

    def _attempt(self, body: bytes, timeout: float) -> SendResult:
        conn = self._connection(timeout)
        with self._lock:
            self._active.add(conn)
        try:
            conn.request("POST", self._path, body=body, headers=self._headers)
            response = conn.getresponse()
            data = response.read(_MAX_RESPONSE_BYTES)
            if response.will_close or len(data) >= _MAX_RESPONSE_BYTES:
                self._drop_connection()
            return SendResult(response.status, parse_retry_after(response.getheader("Retry-After")), None, data)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self._drop_connection()
            return SendResult(None, None, f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._active.discard(conn)

    def abort(self) -> None:
        """Cut every in-flight request; each returns a connection error at once."""
        with self._lock:
            active = list(self._active)
        for conn in active:
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Close every kept-alive connection, whichever thread opened it."""
        with self._lock:
            connections, self._all = list(self._all), set()
        for conn in connections:
            conn.close()
