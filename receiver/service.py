"""Protocol-independent ingest: authenticate, decode, rate-limit, publish. Used by HTTP and gRPC."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from agentstate.receiver.auth import KeyResolver
from agentstate.receiver.decode import Decoded, decode_logs, decode_traces
from agentstate.receiver.errors import IngestError
from agentstate.receiver.publisher import Publisher, RateLimiter
from agentstate.semconv.streams import LOGS_STREAM, SPANS_STREAM


@dataclass
class IngestStats:
    """Self-observability counters (items, not requests)."""

    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    refused_requests: Counter[int] = field(default_factory=Counter)


class IngestService:
    """The receiver's one code path, whatever the transport."""

    def __init__(self, keys: KeyResolver, publisher: Publisher, limiter: RateLimiter) -> None:
        self.keys = keys
        self.publisher = publisher
        self.limiter = limiter
        self.stats = IngestStats()

    async def authenticate(self, key: str | None) -> str:
        """Return the project of ``key`` (401 otherwise)."""
        try:
            return await self.keys.project_for(key)
        except IngestError as exc:
            self.stats.refused_requests[exc.status] += 1
            raise

    async def ingest(self, signal: str, project: str, body: bytes, media: str) -> Decoded:
        """Decode ``body`` of ``signal`` ('traces' or 'logs') and publish it for ``project``."""
        try:
            if signal == "traces":
                decoded, stream = decode_traces(body, media), SPANS_STREAM
            else:
                decoded, stream = decode_logs(body, media), LOGS_STREAM
            if decoded.accepted:
                self.limiter.take(project, decoded.accepted)
                await self.publisher.publish(stream, project, decoded.body, decoded.accepted)
        except IngestError as exc:
            self.stats.refused_requests[exc.status] += 1
            raise
        self.stats.accepted[signal] += decoded.accepted
        self.stats.rejected[signal] += decoded.rejected
        return decoded
