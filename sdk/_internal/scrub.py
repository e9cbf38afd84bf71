"""Redact PII and secrets from spans before they leave the process.

:class:`ScrubbingExporter` wraps the real exporter, so the work happens on the batch processor's
thread, never in the decorated call. Every string (and string array) attribute of the span and its
events, and the status message, goes through the shared
:class:`~agentstate.semconv.redaction.Redactor`; structural keys (IDs, timestamps, token counts …)
are never touched. A span whose scrubbing fails is not sent as is: each of its non-structural
strings is replaced by ``[REDACTED:SCRUB_ERROR]``.

What was redacted is recorded on the span as counts only, in ``agentstate.redacted``
(:data:`agentstate.semconv.attributes.REDACTED`), so the server can still raise a leakage alert
for a value it never receives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from opentelemetry.util.types import AttributeValue

from agentstate._internal.errors import handle_internal_errors
from agentstate._internal.stats import STATS, Stats
from agentstate.semconv import attributes as A
from agentstate.semconv.redacted import format_redacted
from agentstate.semconv.redaction import Redactor, is_endpoint_key, is_safe_key

SCRUB_ERROR: Final = "[REDACTED:SCRUB_ERROR]"
"""What every non-structural string of a span becomes when scrubbing it failed."""

Rewrite = Callable[[str, bool], tuple[str, dict[str, int]]]
"""``(text, is endpoint)`` to the new text and how many values of each type it replaced."""

Counts = dict[str, dict[str, int]]

_STATUS_KEY: Final = "otel.status_description"
"""Key under which redactions in the status message are counted."""

_SDK_STRUCTURAL_KEYS: Final = frozenset({A.SPAN_KIND, A.GEN_AI_TOOL_TYPE})
"""Keys the SDK writes from fixed vocabularies: nothing to scrub in them."""


class _ScrubbedSpan(ReadableSpan):
    """A copy of an ended span with new attributes/events/status; keeps the dropped counts."""

    def __init__(
        self,
        original: ReadableSpan,
        attributes: Mapping[str, AttributeValue] | None,
        events: Sequence[Event],
        status: Status,
    ) -> None:
        super().__init__(
            name=original.name,
            context=original.context,
            parent=original.parent,
            resource=original.resource,
            attributes=attributes,
            events=events,
            links=original.links,
            kind=original.kind,
            status=status,
            start_time=original.start_time,
            end_time=original.end_time,
            instrumentation_scope=original.instrumentation_scope,
        )
        self._dropped = (original.dropped_attributes, original.dropped_events, original.dropped_links)

    @property
    def dropped_attributes(self) -> int:
        return self._dropped[0]

    @property
    def dropped_events(self) -> int:
        return self._dropped[1]

    @property
    def dropped_links(self) -> int:
        return self._dropped[2]


def _blank(text: str, endpoint: bool = False) -> tuple[str, dict[str, int]]:
    return SCRUB_ERROR, {}


def _add(counts: Counts, key: str, found: dict[str, int]) -> None:
    slot = counts.setdefault(key, {})
    for kind, n in found.items():
        slot[kind] = slot.get(kind, 0) + n


class SpanScrubber:
    """Rewrites the string values of spans with a :class:`Redactor`.

    Args:
        redactor: The pattern set to apply.
        exempt_keys: Attribute keys never scrubbed, besides the structural safe keys.
        stats: Counters to update.
    """

    def __init__(self, redactor: Redactor, exempt_keys: frozenset[str] = frozenset(), stats: Stats = STATS) -> None:
        self._redactor = redactor
        self._exempt = exempt_keys | _SDK_STRUCTURAL_KEYS
        self._stats = stats
        self._safe: dict[str, bool] = {}
        redactor.warm_up()  # rules loaded and the Hyperscan database compiled off the export thread

    def _redact(self, text: str, endpoint: bool) -> tuple[str, dict[str, int]]:
        return self._redactor.redact_counting(text, endpoint=endpoint)

    def _is_safe(self, key: str) -> bool:
        safe = self._safe.get(key)
        if safe is None:
            safe = key in self._exempt or is_safe_key(key)
            if len(self._safe) < 10_000:
                self._safe[key] = safe
        return safe

    def _attributes(
        self, attrs: Mapping[str, AttributeValue] | None, rewrite: Rewrite, counts: Counts, prefix: str = ""
    ) -> dict[str, AttributeValue] | None:
        """A rewritten copy of ``attrs``, or ``None`` if nothing changed; counts go to ``counts``."""
        if not attrs:
            return None
        changed: dict[str, AttributeValue] = {}
        for key, value in attrs.items():
            if type(value) is str:
                if self._is_safe(key):
                    continue
                new, found = rewrite(value, is_endpoint_key(key))
                if new != value:
                    changed[key] = new
                    if found:
                        _add(counts, prefix + key, found)
            elif isinstance(value, (tuple, list)) and any(type(item) is str for item in value):
                if self._is_safe(key):
                    continue
                items: list[Any] = []
                for item in value:
                    if type(item) is str:
                        item, found = rewrite(item, False)
                        if found:
                            _add(counts, prefix + key, found)
                    items.append(item)
                if tuple(items) != tuple(value):
                    changed[key] = tuple(items)
        if not changed:
            return None
        return {**attrs, **changed}

    def _rewrite(self, span: ReadableSpan, rewrite: Rewrite) -> ReadableSpan:
        counts: Counts = {}
        attributes = self._attributes(span.attributes, rewrite, counts)
        events: list[Event] = []
        events_changed = False
        for event in span.events:
            new = self._attributes(event.attributes, rewrite, counts, f"{event.name}/")
            if new is None:
                events.append(event)
            else:
                events_changed = True
                events.append(Event(event.name, new, event.timestamp))
        status = span.status
        if status.description:
            description, found = rewrite(status.description, False)
            if description != status.description:
                status = Status(status.status_code, description)
                if found:
                    _add(counts, _STATUS_KEY, found)
        if attributes is None and not events_changed and status is span.status:
            return span
        if counts:
            attributes = {**(attributes if attributes is not None else span.attributes or {})}
            attributes[A.REDACTED] = format_redacted(counts)
        return _ScrubbedSpan(span, attributes if attributes is not None else span.attributes, events, status)

    def scrub(self, span: ReadableSpan) -> ReadableSpan:
        """Return ``span`` itself if it holds nothing to redact, else a redacted copy."""
        with handle_internal_errors:
            return self._rewrite(span, self._redact)
        self._stats.add("spans_scrub_errors")
        return self._rewrite(span, _blank)

    def scrub_batch(self, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
        """:meth:`scrub` for a batch, with every string screened in one pass.

        A first walk collects the strings :meth:`scrub` would rewrite, in order; they are redacted
        together (one Hyperscan call per batch, not per string: on the export thread each call
        gives the GIL away and can wait long to get it back); a second walk puts the results in
        place. If anything fails, each span is scrubbed on its own, with its own fallback.
        """
        with handle_internal_errors:
            items: list[tuple[str, bool]] = []

            def collect(text: str, endpoint: bool) -> tuple[str, dict[str, int]]:
                items.append((text, endpoint))
                return text, {}

            for span in spans:
                self._rewrite(span, collect)
            results = iter(self._redactor.redact_counting_many(items))

            def replay(text: str, endpoint: bool) -> tuple[str, dict[str, int]]:
                return next(results)

            return [self._rewrite(span, replay) for span in spans]
        return [self.scrub(span) for span in spans]


class ScrubbingExporter(SpanExporter):
    """Counts and scrubs each batch, then hands it to ``inner``.

    Args:
        inner: The exporter that sends (or stores) spans.
        scrubber: What to apply to each span; ``None`` when scrubbing is off.
        stats: Counters to update (``spans_received``).
    """

    def __init__(self, inner: SpanExporter, scrubber: SpanScrubber | None, stats: Stats = STATS) -> None:
        self.inner = inner
        self._scrubber = scrubber
        self._stats = stats
        self.forward_shutdown = True

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Scrub and forward ``spans``."""
        with handle_internal_errors:
            self._stats.add("spans_received", len(spans))
            if self._scrubber is not None:
                spans = self._scrubber.scrub_batch(spans)
            return self.inner.export(spans)
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        """Shut the inner exporter down, unless ``forward_shutdown`` was cleared (pipeline replaced)."""
        if self.forward_shutdown:
            self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the inner exporter."""
        return self.inner.force_flush(timeout_millis)
