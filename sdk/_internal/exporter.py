"""The OTLP/HTTP exporter with an offline spool behind it.

Spans are encoded with the stock OTLP encoder (``encode_spans``, the same bytes the official
``OTLPSpanExporter`` sends), split so no request exceeds the receiver's size limit, and POSTed once.
A retryable failure puts the batch in the spool and tells the :class:`Replayer`, which owns retries;
while the collector is known to be down, batches go straight to the spool. A final rejection (400,
401, 413 …) is logged and counted, never retried. ``export`` never raises and never blocks for
longer than one attempt, so the batch processor's thread, and the application's exit, stay prompt.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from google.protobuf.message import DecodeError
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from agentstate._internal.config import Config
from agentstate._internal.errors import handle_internal_errors, logger
from agentstate._internal.replay import Replayer
from agentstate._internal.spool import Spool, SpoolError, spool_file_name
from agentstate._internal.stats import STATS, Stats
from agentstate._internal.transport import HttpSender, Outcome, SendResult
from agentstate.semconv.attributes import SCRUBBED_MARK


def encode(spans: Sequence[ReadableSpan], scrubbed: bool = False) -> bytes:
    """Serialize ``spans`` with the stock OTLP encoder, marking each resource when scrubbed."""
    request = encode_spans(spans)
    if scrubbed:
        for resource_spans in request.resource_spans:
            kv = resource_spans.resource.attributes.add()
            kv.key = SCRUBBED_MARK
            kv.value.string_value = "true"
    body: bytes = request.SerializeToString()
    return body


def encode_batches(
    spans: Sequence[ReadableSpan], max_bytes: int, scrubbed: bool = False
) -> Iterator[tuple[Sequence[ReadableSpan], bytes]]:
    """Yield ``(spans, body)`` chunks whose serialized size stays under ``max_bytes`` where possible.

    A chunk that is too large is split in halves until it fits or holds a single span.
    """
    body = encode(spans, scrubbed)
    if len(body) <= max_bytes or len(spans) <= 1:
        yield spans, body
        return
    middle = len(spans) // 2
    yield from encode_batches(spans[:middle], max_bytes, scrubbed)
    yield from encode_batches(spans[middle:], max_bytes, scrubbed)


class SpoolingOTLPExporter(SpanExporter):
    """OTLP/HTTP protobuf exporter that spools what it cannot deliver.

    Args:
        config: Endpoint, headers, timeouts and spool settings.
        stats: Counters to update.
        start_replayer: Start the background replayer thread (tests drive it by hand).
    """

    def __init__(self, config: Config, stats: Stats = STATS, start_replayer: bool = True) -> None:
        self._config = config
        self._stats = stats
        self._start_replayer = start_replayer
        self._sender = HttpSender(config.traces_endpoint, dict(config.headers), config.export_timeout)
        self._deadline: float | None = None
        self._abort_timer: threading.Timer | None = None
        self._shutdown = False
        self._lock = threading.Lock()
        self.spool: Spool | None = None
        self.replayer: Replayer | None = None
        self._pid = os.getpid()
        self._open_spool()

    def _open_spool(self) -> None:
        self._pid = os.getpid()
        directory = self._config.spool_dir
        if directory is None:
            return
        path = Path(directory) / spool_file_name(self._config.traces_endpoint, self._config.api_key)
        try:
            self.spool = Spool(path, self._config.spool_max_bytes, lambda n: self._stats.add("spans_evicted", n))
        except SpoolError as exc:
            logger.warning("Offline spool disabled: %s", exc)
            self.spool = None
            return
        self.replayer = Replayer(self.spool, self._sender, self._stats, timeout=self._config.export_timeout)
        if self._start_replayer:
            self.replayer.start()

    def _after_fork(self) -> None:
        # SQLite connections and threads do not survive fork(); the child gets its own.
        self._sender = HttpSender(self._config.traces_endpoint, dict(self._config.headers), self._config.export_timeout)
        self._open_spool()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Deliver or spool ``spans``; ``FAILURE`` only if some were dropped."""
        ok = False
        with handle_internal_errors:
            if os.getpid() != self._pid:
                self._after_fork()
            ok = True
            for chunk, body in encode_batches(spans, self._config.max_request_bytes, self._config.scrub):
                ok = self._deliver(chunk, body) and ok
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def _timeout(self) -> float | None:
        if self._deadline is None:
            return None
        return min(self._config.export_timeout, max(self._deadline - time.monotonic(), 0.05))

    def _deliver(self, spans: Sequence[ReadableSpan], body: bytes) -> bool:
        replayer = self.replayer
        past_deadline = self._deadline is not None and time.monotonic() >= self._deadline
        if replayer is not None and (replayer.collector_down or past_deadline):
            return self._spool(body, len(spans))
        result = self._sender.send(body, self._timeout())
        outcome = result.outcome
        if outcome is Outcome.SUCCESS:
            self._stats.add("spans_exported", len(spans))
            _log_partial_success(result)
            return True
        if outcome is Outcome.RETRY:
            if replayer is not None:
                replayer.record_failure(result.retry_after)
            logger.info("Collector unavailable (%s); spooling %d spans", result.status or result.error, len(spans))
            return self._spool(body, len(spans))
        if result.status == 413 and len(spans) > 1:
            middle = len(spans) // 2
            first = self._deliver(spans[:middle], encode(spans[:middle], self._config.scrub))
            second = self._deliver(spans[middle:], encode(spans[middle:], self._config.scrub))
            return first and second
        logger.error(
            "Collector rejected %d spans with HTTP %s; dropped: %r", len(spans), result.status, result.body[:200]
        )
        self._stats.add("spans_dropped_rejected", len(spans))
        return False

    def _spool(self, body: bytes, spans: int) -> bool:
        spool, replayer = self.spool, self.replayer
        if spool is None or replayer is None:
            self._stats.add("spans_dropped_unspoolable", spans)
            return False
        try:
            spool.put(body, spans)
        except SpoolError as exc:
            logger.warning("Could not spool %d spans: %s", spans, exc)
            self._stats.add("spans_dropped_unspoolable", spans)
            return False
        self._stats.add("spans_spooled", spans)
        replayer.kick()
        return True

    def begin_shutdown(self, timeout: float) -> None:
        """From now on, attempts end by ``timeout`` seconds from now; later batches are spooled.

        A request still in flight at the deadline is cut, so its batch is spooled too.
        """
        self._deadline = time.monotonic() + timeout
        if self.spool is not None:
            self._abort_timer = threading.Timer(timeout, self._sender.abort)
            self._abort_timer.daemon = True
            self._abort_timer.start()

    def shutdown(self) -> None:
        """Stop the replayer and close the spool; what is spooled stays for the next start."""
        with self._lock:
            if self._shutdown:
                return
            self._shutdown = True
        with handle_internal_errors:
            if self._abort_timer is not None:
                self._abort_timer.cancel()
            if self.replayer is not None:
                self._sender.abort()
                self.replayer.stop(timeout=1.0)
            if self.spool is not None:
                self.spool.close()
            self._sender.close()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Nothing is buffered here; spooled batches are the replayer's business."""
        return True


def _log_partial_success(result: SendResult) -> None:
    if not result.body:
        return
    try:
        response = ExportTraceServiceResponse.FromString(result.body)
    except DecodeError:  # not protobuf (a proxy's page, a JSON body): nothing to report
        return
    if response.HasField("partial_success") and response.partial_success.rejected_spans:
        logger.warning(
            "Collector rejected %d spans: %s",
            response.partial_success.rejected_spans,
            response.partial_success.error_message,
        )
