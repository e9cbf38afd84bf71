"""OTLP/HTTP: ``POST /v1/traces`` and ``/v1/logs`` (protobuf and JSON, gzip), plus health probes.

A plain ASGI app on Starlette's request/response types: the endpoint streams the body with a hard
cap (chunked uploads included), so a client can never make the receiver hold more than the limit.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agentstate.receiver.auth import extract_key
from agentstate.receiver.decode import JSON, PROTOBUF, Decoded, decompress, media_type
from agentstate.receiver.errors import IngestError, client_gone, too_large
from agentstate.receiver.service import IngestService

_DRAIN_FACTOR = 4


def _encode(msg: Message, media: str) -> bytes:
    data: bytes = json_format.MessageToJson(msg, indent=None).encode() if media == JSON else msg.SerializeToString()
    return data


def _error_response(exc: IngestError, media: str) -> Response:
    status = status_pb2.Status(code=exc.grpc_code.value[0], message=exc.message)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return Response(_encode(status, media), exc.status, headers=headers, media_type=media)


def _success(signal: str, decoded: Decoded, media: str) -> Response:
    msg: Message
    if signal == "traces":
        msg = ExportTraceServiceResponse()
        if decoded.rejected:
            msg.partial_success.CopyFrom(
                ExportTracePartialSuccess(rejected_spans=decoded.rejected, error_message=decoded.message)
            )
    else:
        msg = ExportLogsServiceResponse()
        if decoded.rejected:
            msg.partial_success.CopyFrom(
                ExportLogsPartialSuccess(rejected_log_records=decoded.rejected, error_message=decoded.message)
            )
    return Response(_encode(msg, media), 200, media_type=media)


async def _read_capped(request: Request, limit: int) -> bytes:
    """Read at most ``limit`` bytes; past it, discard (bounded) so the client can read our 413
    instead of a connection reset, then refuse."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                chunks.clear()
                if size > _DRAIN_FACTOR * limit:
                    break
                continue
            chunks.append(chunk)
    except ClientDisconnect:
        # Gone, or cut off by the body deadline (receiver/deadlines.py), which already answered 408.
        raise client_gone() from None
    if size > limit:
        raise too_large(limit)
    return b"".join(chunks)


def _endpoint(service: IngestService, signal: str, limit: int) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        ctype = request.headers.get("content-type")
        reply_media = JSON if (ctype or "").lower().startswith(JSON) else PROTOBUF
        try:
            project = await service.authenticate(
                extract_key(request.headers.get("authorization"), request.headers.get("x-api-key"))
            )
            media = media_type(ctype)
            raw = await _read_capped(request, limit)
            body = decompress(raw, request.headers.get("content-encoding"), limit)
            decoded = await service.ingest(signal, project, body, media)
        except IngestError as exc:
            return _error_response(exc, reply_media)
        return _success(signal, decoded, media)

    return handle


def _stats_allowed(request: Request, token: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <stats token>`` (never true without one)."""
    scheme, _, given = (request.headers.get("authorization") or "").strip().partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def create_app(service: IngestService, max_body_bytes: int, stats_token: str = "") -> Starlette:
    """Build the OTLP/HTTP ASGI app.

    ``/stats`` counts every project's traffic, so it is for the operator alone: it answers only to
    ``stats_token`` (``AGENTSTATE_STATS_TOKEN``) and is closed when none is configured. An ingest key
    would not do: it speaks for one project. The probes stay open (they reveal no counts).
    """

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        refusal = service.publisher.refusal
        if refusal is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready", "reason": refusal}, 503)

    async def stats(request: Request) -> Response:
        if not _stats_allowed(request, stats_token):
            message = (
                "send 'Authorization: Bearer <AGENTSTATE_STATS_TOKEN>'"
                if stats_token
                else "/stats is disabled: set AGENTSTATE_STATS_TOKEN to enable it"
            )
            return JSONResponse({"message": message}, 401, headers={"WWW-Authenticate": "Bearer"})
        s = service.stats
        return JSONResponse(
            {
                "accepted": dict(s.accepted),
                "rejected": dict(s.rejected),
                "refused_requests": {str(k): v for k, v in s.refused_requests.items()},
            }
        )

    return Starlette(
        routes=[
            Route("/v1/traces", _endpoint(service, "traces", max_body_bytes), methods=["POST"]),
            Route("/v1/logs", _endpoint(service, "logs", max_body_bytes), methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/stats", stats),
        ]
    )
