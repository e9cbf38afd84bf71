"""A stand-in OTLP/HTTP collector scripted per status code, for export, retry and spool tests.

Not one of our components: the real receiver is exercised in ``tests/integration``. Each POST
answers the next scripted ``(status, headers)`` (200 once the script is used up), records the body
and headers, and can hang until released to play a collector that never answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


@dataclass
class Request:
    """One request the stand-in received."""

    path: str
    headers: dict[str, str]
    body: bytes

    def span_ids(self) -> list[str]:
        """Hex span IDs in the OTLP body."""
        request = ExportTraceServiceRequest.FromString(self.body)
        return [span.span_id.hex() for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


@dataclass
class StandIn:
    """State shared with the handler thread."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    hang: threading.Event | None = None
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return self.url + "/v1/traces"

    def span_ids(self) -> list[str]:
        """Span IDs in every request received, whatever it was answered."""
        return [sid for request in self.requests for sid in request.span_ids()]


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, headers = state.script.pop(0) if state.script else (200, {})
            if state.hang is not None:
                state.hang.wait(30)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def stand_in(
    script: list[tuple[int, dict[str, str]]] | None = None, hang: bool = False, port: int = 0
) -> Iterator[StandIn]:
    """Run a stand-in collector on loopback (``port``, or a free one) for the duration of the block."""
    state = StandIn(script=list(script or []), hang=threading.Event() if hang else None)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        if state.hang is not None:
            state.hang.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
