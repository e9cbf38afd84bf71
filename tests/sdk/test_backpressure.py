"""A full export queue: span ends pause for the scrubbing export thread, never for the network."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import agentstate
from agentstate import observe

SPANS = 2_000


@observe(kind="tool")
def lookup(note: str) -> str:
    return f"found: {note}"


class CountingExporter(SpanExporter):
    """Counts what it receives; with ``hold`` set, the first export blocks until released (I/O)."""

    def __init__(self, hold: bool = False) -> None:
        self.count = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.entered.set()
        self.release.wait(10)
        self.count += len(spans)
        return SpanExportResult.SUCCESS


@pytest.fixture
def small_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64-span queue exported 16 at a time: filled in about a millisecond."""
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "64")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16")


def test_span_ends_wait_for_scrubbing_instead_of_dropping(small_queue: None) -> None:
    """Every call carries an e-mail, so scrubbing each span costs more than making it."""
    exporter = CountingExporter()
    agentstate.init(tracer_provider=TracerProvider(), span_exporter=exporter, capture_io=True)
    before = agentstate.stats()
    for i in range(SPANS):
        lookup(f"mail user{i}@example.com")
    assert agentstate.flush()
    after = agentstate.stats()
    assert exporter.count == SPANS
    assert after["spans_dropped_queue_full"] == before["spans_dropped_queue_full"]
    assert after["export_waits"] > before["export_waits"]


def test_span_ends_never_wait_for_the_network(small_queue: None) -> None:
    """While the exporter waits on I/O the queue drops spans, as in stock OpenTelemetry."""
    exporter = CountingExporter(hold=True)
    agentstate.init(tracer_provider=TracerProvider(), span_exporter=exporter, capture_io=True, scrub=False)
    for i in range(16):
        lookup(f"call {i}")
    assert exporter.entered.wait(10)  # the first batch is "on the network" from here on
    waits = agentstate.stats()["export_waits"]
    for i in range(SPANS):
        lookup(f"call {i}")
    assert agentstate.stats()["export_waits"] == waits
    exporter.release.set()
    assert agentstate.flush()
    assert 16 <= exporter.count < SPANS
