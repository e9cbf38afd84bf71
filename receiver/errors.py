"""The one error type of the receiver: what went wrong, as an OTLP HTTP status and gRPC code."""

from __future__ import annotations

import grpc


class IngestError(Exception):
    """A request the receiver refuses; carries the HTTP status, gRPC code and Retry-After."""

    def __init__(self, status: int, message: str, grpc_code: grpc.StatusCode, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.grpc_code = grpc_code
        self.retry_after = retry_after


def bad_request(message: str) -> IngestError:
    """400 / INVALID_ARGUMENT: permanent, the client must not retry."""
    return IngestError(400, message, grpc.StatusCode.INVALID_ARGUMENT)


def unauthorized(message: str = "missing or invalid API key") -> IngestError:
    """401 / UNAUTHENTICATED."""
    return IngestError(401, message, grpc.StatusCode.UNAUTHENTICATED)


def too_large(limit: int) -> IngestError:
    """413 / RESOURCE_EXHAUSTED (without RetryInfo, so not retried)."""
    return IngestError(
        413, f"request body exceeds {limit} bytes after decompression", grpc.StatusCode.RESOURCE_EXHAUSTED
    )


def client_gone() -> IngestError:
    """408: the body did not arrive (client disconnected or cut off by the body deadline)."""
    return IngestError(408, "request body not received in time", grpc.StatusCode.DEADLINE_EXCEEDED)


def unsupported_media(message: str) -> IngestError:
    """415: content type or encoding we do not speak."""
    return IngestError(415, message, grpc.StatusCode.INVALID_ARGUMENT)


def overloaded(message: str, retry_after: int, status: int = 503) -> IngestError:
    """503 (or 429 for rate limits) / UNAVAILABLE: retryable, honour Retry-After."""
    return IngestError(status, message, grpc.StatusCode.UNAVAILABLE, retry_after)
