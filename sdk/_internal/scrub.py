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

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from opentelemetry.attributes import BoundedAttributes
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

    @classmethod
    def of(
        cls,
        original: ReadableSpan,
        attributes: Mapping[str, AttributeValue] | None,
        events: Sequence[Event],
        status: Status,
    ) -> ReadableSpan:
        """The copy; for the SDK's own ended spans, made from their fields rather than through
        a dozen properties (one of which copies the links under a lock): a third of the time."""
        if type(original) is not ReadableSpan:
            return cls(original, attributes, events, status)
        copy = cls.__new__(cls)
        copy.__dict__.update(original.__dict__)
        copy._attributes, copy._events, copy._status = attributes, events, status
        copy._dropped = (original.dropped_attributes, original.dropped_events, original.dropped_links)
        return copy

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


def _plain(attrs: Mapping[str, AttributeValue] | None) -> Mapping[str, AttributeValue] | None:
    """The dict behind an SDK span's attributes (iterating the ``Mapping`` view costs a Python
    call per key), else ``attrs`` itself."""
    if type(attrs) is BoundedAttributes:
        plain: dict[str, AttributeValue] = attrs._dict
        return plain
    return attrs


def _span_attributes(span: ReadableSpan) -> Mapping[str, AttributeValue] | None:
    """``span.attributes`` without the ``MappingProxyType`` wrapper, for the stock span classes."""
    attrs: Any = getattr(span, "_attributes", None)
    if type(attrs) is BoundedAttributes or type(attrs) is dict:
        return _plain(attrs)
    return span.attributes


def _span_events(span: ReadableSpan) -> Sequence[Event]:
    """``span.events``, skipping its copy (under a lock, for a live span) when there is none."""
    events = getattr(span, "_events", None)
    if events is not None and len(events) == 0:
        return ()
    return span.events


_MAX_FORMATTED: Final = 1024
"""Distinct ``agentstate.redacted`` values remembered."""

_KEEP, _SCAN, _ENDPOINT = 0, 1, 2
"""How a string attribute is treated: left alone, redacted, redacted keeping internal IPs."""


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
        self._modes: dict[str, int] = {}
        self._formatted: dict[tuple[tuple[str, tuple[tuple[str, int], ...]], ...], str] = {}
        redactor.warm_up()  # rules loaded and the Hyperscan database compiled off the export thread

    def _redact(self, text: str, endpoint: bool) -> tuple[str, dict[str, int]]:
        return self._redactor.redact_counting(text, endpoint=endpoint)

    def _mode(self, key: str) -> int:
        """:data:`_KEEP`, :data:`_SCAN` or :data:`_ENDPOINT` for attribute ``key`` (cached)."""
        safe = key in self._exempt or is_safe_key(key)
        mode = _KEEP if safe else _ENDPOINT if is_endpoint_key(key) else _SCAN
        if len(self._modes) < 10_000:
            self._modes[key] = mode
        return mode

    def _attributes(
        self, attrs: Mapping[str, AttributeValue] | None, rewrite: Rewrite, counts: Counts, prefix: str = ""
    ) -> dict[str, AttributeValue] | None:
        """A rewritten copy of ``attrs``, or ``None`` if nothing changed; counts go to ``counts``."""
        if not attrs:
            return None
        modes = self._modes
        changed: dict[str, AttributeValue] = {}
        for key, value in attrs.items():
            if type(value) is str:
                mode = modes.get(key)
                if mode is None:
                    mode = self._mode(key)
                if mode == _KEEP:
                    continue
                new, found = rewrite(value, mode == _ENDPOINT)
                if new != value:
                    changed[key] = new
                    if found:
                        _add(counts, prefix + key, found)
            elif isinstance(value, (tuple, list)) and any(type(item) is str for item in value):
                mode = modes.get(key)
                if mode is None:
                    mode = self._mode(key)
                if mode == _KEEP:
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
        original = _span_attributes(span)
        attributes = self._attributes(original, rewrite, counts)
        events: list[Event] = []
        events_changed = False
        for event in _span_events(span):
            new = self._attributes(_plain(event.attributes), rewrite, counts, f"{event.name}/")
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
            if attributes is None:  # else it is already a fresh copy
                attributes = dict(original or {})
            attributes[A.REDACTED] = self._format_redacted(counts)
        return _ScrubbedSpan.of(span, attributes if attributes is not None else original, events, status)

    def _format_redacted(self, counts: Counts) -> str:
        """:func:`format_redacted`, remembered: spans of one function redact alike, and building
        the JSON costs ten times more than the lookup."""
        key = tuple((attribute, tuple(found.items())) for attribute, found in counts.items())
        text = self._formatted.get(key)
        if text is None:
            text = format_redacted(counts)
            if len(self._formatted) < _MAX_FORMATTED:
                self._formatted[key] = text
        return text

    def scrub(self, span: ReadableSpan) -> ReadableSpan:
        """Return ``span`` itself if it holds nothing to redact, else a redacted copy."""
        with handle_internal_errors:
            return self._rewrite(span, self._redact)
        self._stats.add("spans_scrub_errors")
        return self._rewrite(span, _blank)

    def scrub_batch(self, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
        """:meth:`scrub` for a batch, with every distinct string screened once, in one pass.

        A first walk collects the distinct ``(text, endpoint)`` pairs :meth:`scrub` would rewrite
        (a value repeated across the batch, such as a system prompt or the same arguments, is
        redacted once); they are redacted together (one Hyperscan call per batch, not per string:
        on the export thread each call gives the GIL away and can wait long to get it back).
        Only the spans holding a string that changed are walked again, to build their redacted
        copies; the others are passed on as they are. If anything fails, each span is scrubbed
        on its own, with its own fallback.
        """
        with handle_internal_errors:
            return self._scrub_batch(spans)
        return [self.scrub(span) for span in spans]

    def _scrub_batch(self, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
        batch = _Batch(self._modes, self._mode)
        bounds: list[int] = []
        for span in spans:
            attrs = _span_attributes(span)
            if attrs:
                batch.add(attrs)
            events = getattr(span, "_events", None)
            if events is None or len(events):
                for event in span.events:
                    if event.attributes:
                        batch.add(_plain(event.attributes))  # type: ignore[arg-type]
            description = span.status.description
            if description:
                batch.add_text(description)
            bounds.append(len(batch.seen))
        items = batch.items
        if not items:
            return list(spans)
        results = self._redactor.redact_counting_many(items)
        changed = [new != text for (text, _), (new, _) in zip(items, results, strict=True)]
        out = list(spans)
        if not any(changed):
            return out

        def replay(text: str, endpoint: bool) -> tuple[str, dict[str, int]]:
            return results[(batch.endpoints if endpoint else batch.texts)[text]]

        seen, start = batch.seen, 0
        for i, end in enumerate(bounds):
            if any(changed[number] for number in seen[start:end]):
                out[i] = self._rewrite(spans[i], replay)
            start = end
        return out


class _Batch:
    """The distinct strings of a batch that :meth:`SpanScrubber._rewrite` would redact.

    It must ask for exactly what ``_rewrite`` asks for: strings of non-safe keys (an endpoint
    key's with ``endpoint=True``), the strings in sequences of non-safe keys, in span and event
    attributes alike, and the status message (both with ``endpoint=False``).

    Attributes:
        items: Each distinct ``(text, endpoint)``, numbered by position.
        texts: Number of each distinct text redacted with ``endpoint=False``.
        endpoints: Number of each distinct text redacted with ``endpoint=True``.
        seen: The number of every string met, in order (repeats included).
    """

    __slots__ = ("endpoints", "items", "mode", "modes", "seen", "texts")

    def __init__(self, modes: dict[str, int], mode: Callable[[str], int]) -> None:
        self.modes, self.mode = modes, mode
        self.items: list[tuple[str, bool]] = []
        self.texts: dict[str, int] = {}
        self.endpoints: dict[str, int] = {}
        self.seen: list[int] = []

    def add_text(self, text: str, endpoint: bool = False) -> None:
        index = self.endpoints if endpoint else self.texts
        number = index.get(text)
        if number is None:
            number = index[text] = len(self.items)
            self.items.append((text, endpoint))
        self.seen.append(number)

    def add(self, attrs: Mapping[str, AttributeValue]) -> None:
        modes, texts, items, seen = self.modes, self.texts, self.items, self.seen
        for key, value in attrs.items():
            if type(value) is str:
                mode = modes.get(key)
                if mode is None:
                    mode = self.mode(key)
                if mode == _SCAN:  # the common case, inlined
                    number = texts.get(value)
                    if number is None:
                        number = texts[value] = len(items)
                        items.append((value, False))
                    seen.append(number)
                elif mode == _ENDPOINT:
                    self.add_text(value, True)
            elif isinstance(value, (tuple, list)) and any(type(item) is str for item in value):
                mode = modes.get(key)
                if mode is None:
                    mode = self.mode(key)
                if mode != _KEEP:
                    for item in value:
                        if type(item) is str:
                            self.add_text(item)


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
        self.sending = False
        """Whether ``inner`` is exporting now (waiting on the network or a disk, not on the GIL)."""
        self.export_thread: int | None = None
        """Ident of the thread that last called :meth:`export`."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Scrub and forward ``spans``."""
        with handle_internal_errors:
            self.export_thread = threading.get_ident()
            self._stats.add("spans_received", len(spans))
            if self._scrubber is not None:
                spans = self._scrubber.scrub_batch(spans)
            self.sending = True
            try:
                return self.inner.export(spans)
            finally:
                self.sending = False
        return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        """Shut the inner exporter down, unless ``forward_shutdown`` was cleared (pipeline replaced)."""
        if self.forward_shutdown:
            self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Flush the inner exporter."""
        return self.inner.force_flush(timeout_millis)
