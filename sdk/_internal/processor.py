"""The span processor ``init`` adds to the tracer provider.

One entry in the provider's processor list does two things: on start it stamps the propagated
session/user/tags/metadata onto the span (any span, not only ``@observe`` ones); on end it counts
the span and hands it to the stock :class:`BatchSpanProcessor`. Once shut down it ignores spans,
so a replaced pipeline on a provider we cannot remove processors from costs nothing.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from agentstate._internal.errors import handle_internal_errors
from agentstate._internal.fastattrs import set_attributes
from agentstate._internal.propagation import PROPAGATED
from agentstate._internal.stats import STATS

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import Span


class AgentStateSpanProcessor(SpanProcessor):
    """Propagated attributes on start, then the wrapped processor.

    Args:
        delegate: Usually a ``BatchSpanProcessor`` around the scrubbing OTLP exporter.
    """

    def __init__(self, delegate: SpanProcessor) -> None:
        self._delegate = delegate
        self._closed = False
        self._count_ended = STATS.ended.increment
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
