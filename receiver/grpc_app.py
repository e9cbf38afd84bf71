"""OTLP/gRPC: ``TraceService/Export`` and ``LogsService/Export`` on grpc.aio.

Handlers are registered without a request deserializer, so gRPC hands over the raw (already
gunzipped) bytes and the same upb decode path as HTTP runs on them, with no second parse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)

from agentstate.receiver.auth import extract_key
from agentstate.receiver.decode import PROTOBUF, Decoded
from agentstate.receiver.errors import IngestError, too_large
from agentstate.receiver.service import IngestService

_TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
_LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService"


def _response(signal: str, decoded: Decoded) -> bytes:
    if signal == "traces":
        tr = ExportTraceServiceResponse()
        if decoded.rejected:
            tr.partial_success.CopyFrom(
                ExportTracePartialSuccess(rejected_spans=decoded.rejected, error_message=decoded.message)
            )
        data: bytes = tr.SerializeToString()
        return data
    lr = ExportLogsServiceResponse()
    if decoded.rejected:
        lr.partial_success.CopyFrom(
            ExportLogsPartialSuccess(rejected_log_records=decoded.rejected, error_message=decoded.message)
        )
    out: bytes = lr.SerializeToString()
    return out


def _export(
    service: IngestService, signal: str, limit: int
) -> Callable[[bytes, grpc.aio.ServicerContext[bytes, bytes]], Awaitable[bytes]]:
    async def export(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        metadata = {k.lower(): v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        try:
            project = await service.authenticate(extract_key(metadata.get("authorization"), metadata.get("x-api-key")))
            if len(request) > limit:
                raise too_large(limit)
            decoded = await service.ingest(signal, project, request, PROTOBUF)
        except IngestError as exc:
            if exc.retry_after:
                context.set_trailing_metadata((("retry-after", str(exc.retry_after)),))
            await context.abort(exc.grpc_code, exc.message)
        return _response(signal, decoded)

    return export


def create_server(
    service: IngestService,
    address: str,
    max_body_bytes: int,
    handshake_seconds: float = 10.0,
    idle_seconds: float = 30.0,
) -> grpc.aio.Server:
    """Build (not start) the gRPC server bound to ``address``.

    Slow clients: a connection must complete its HTTP/2 handshake (the preface and first SETTINGS)
    within ``handshake_seconds`` (gRPC's default is 120 s), and one idle for ``idle_seconds`` is
    closed with a GOAWAY, the counterparts of the HTTP side's head deadline and keep-alive.
    """
    server = grpc.aio.server(
        options=[
            # gRPC's default 4 MiB receive limit would undercut our own (post-decompression) one.
            ("grpc.max_receive_message_length", max_body_bytes + 1024),
            ("grpc.max_send_message_length", 4 * 1024 * 1024),
            ("grpc.server_handshake_timeout_ms", int(handshake_seconds * 1000)),
            ("grpc.max_connection_idle_ms", int(idle_seconds * 1000)),
        ]
    )
    handlers = [
        grpc.method_handlers_generic_handler(
            _TRACE_SERVICE, {"Export": grpc.unary_unary_rpc_method_handler(_export(service, "traces", max_body_bytes))}
        ),
        grpc.method_handlers_generic_handler(
            _LOGS_SERVICE, {"Export": grpc.unary_unary_rpc_method_handler(_export(service, "logs", max_body_bytes))}
        ),
    ]
    server.add_generic_rpc_handlers(handlers)
    if server.add_insecure_port(address) == 0:
        raise OSError(f"cannot bind gRPC receiver to {address}")
    return server
