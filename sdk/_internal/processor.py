"""The span processor ``init`` adds to the tracer provider.

One entry in the provider's processor list does two things: on start it stamps the propagated
session/user/tags/metadata onto the span (any span, not only ``@observe`` ones); on end it counts
the span and hands it to the stock :class:`BatchSpanProcessor`. Once shut down it ignores spans,
so a replaced pipeline on a provider we cannot remove processors from costs nothing.

The batch queue is bounded and drops spans when full. When the application makes spans faster
than the export thread scrubs them, the thread that ends a span while the queue is three quarters
full pauses briefly instead (:data:`WAIT_SECONDS`), so the export thread gets the GIL and catches up:
nothing is dropped, and the application runs at the pace the export allows. It never pauses while
the exporter waits on the network (a slow collector then costs spans, as in stock OpenTelemetry,
never the application's time), nor on the export thread itself.
"""

from __future__ import annotations

import collections
import inspect
import threading
import time
from typing import TYPE_CHECKING, Final

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from agentstate._internal.errors import handle_internal_errors
from agentstate._internal.fastattrs import set_attributes
from agentstate._internal.propagation import PROPAGATED
from agentstate._internal.stats import STATS

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import Span

    from agentstate._internal.scrub import ScrubbingExporter

WAIT_SECONDS: Final = 0.0005
"""How long a span's end pauses when the export queue is nearly full: once asleep, the export
thread takes the GIL and keeps it for a switch interval (5 ms), a batch's worth of scrubbing."""

HIGH_WATER: Final = 0.75
"""Share of the batch queue filled from which span ends pause for the export thread."""


class AgentStateSpanProcessor(SpanProcessor):
    """Propagated attributes on start, then the wrapped processor.

    Args:
        delegate: Usually a ``BatchSpanProcessor`` around the scrubbing OTLP exporter.
        exporter: The scrubbing exporter behind ``delegate``; with it (and a stock batch
            processor) span ends pause rather than overflow the queue.
    """

    def __init__(self, delegate: SpanProcessor, exporter: ScrubbingExporter | None = None) -> None:
        self._delegate = delegate
        self._closed = False
        self._count_ended = STATS.ended.increment
        self._exporter = exporter
        self._queue: collections.deque[object] | None = None
        self._high_water = 0
        # The stock processor's queue: reading its length is the only way to see it fill up.
        queue = getattr(getattr(delegate, "_batch_processor", None), "_queue", None)
        if exporter is not None and isinstance(queue, collections.deque) and queue.maxlen:
            self._queue, self._high_water = queue, max(1, int(queue.maxlen * HIGH_WATER))
        try:
            self._shutdown_takes_timeout = "timeout_millis" in inspect.signature(delegate.shutdown).parameters
        except (TypeError, ValueError):
            self._shutdown_takes_timeout = False

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Copy the attributes of the enclosing ``propagate_attributes`` scope onto ``span``."""
        if self._closed:
            return
        attrs = PROPAGATED.get()
        if attrs:
            with handle_internal_errors:
                set_attributes(span, attrs)

    def on_end(self, span: ReadableSpan) -> None:
        """Count the span and queue it for export."""
        if self._closed:
            return
        self._count_ended()
        with handle_internal_errors:
            self._delegate.on_end(span)
            if self._queue is not None and len(self._queue) >= self._high_water:
                self._wait_for_export()

    def _wait_for_export(self) -> None:
        """Pause so the export thread can take the GIL, unless it waits on I/O or is this thread."""
        exporter = self._exporter
        if exporter is None or exporter.sending or exporter.export_thread == threading.get_ident():
            return
        STATS.add("export_waits")
        time.sleep(WAIT_SECONDS)

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        """Flush what is queued within ``timeout_millis`` and stop; later spans are ignored."""
        if self._closed:
            return
        self._closed = True
        with handle_internal_errors:
            if self._shutdown_takes_timeout:
                self._delegate.shutdown(timeout_millis=timeout_millis)  # type: ignore[call-arg]
            else:
                self._delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Export everything queued; ``False`` if closed or on failure."""
        if self._closed:
            return False
        with handle_internal_errors:
            return bool(self._delegate.force_flush(timeout_millis))
        return False
