"""The spooling OTLP exporter: deliver, spool on retryable failures, drop final rejections, split."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentstate._internal.config import Config
from agentstate._internal.exporter import SpoolingOTLPExporter
from agentstate._internal.spool import SpoolError
from agentstate._internal.stats import Stats
from tests.sdk.standin import stand_in


def make_spans(count: int, size: int = 10) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    for i in range(count):
        with tracer.start_as_current_span(f"s{i}") as span:
            span.set_attribute("payload", "x" * size)
    return list(memory.get_finished_spans())


def ids(spans: list[ReadableSpan]) -> list[str]:
    return [format(span.context.span_id, "016x") for span in spans if span.context]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


Factory = Callable[..., tuple[SpoolingOTLPExporter, Stats]]


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[Factory]:
    built: list[SpoolingOTLPExporter] = []

    def build(endpoint: str, start_replayer: bool = False, **overrides: Any) -> tuple[SpoolingOTLPExporter, Stats]:
        settings: dict[str, Any] = {
            "traces_endpoint": endpoint,
            "headers": {"authorization": "Bearer as_test"},
            "api_key": "as_test",
            "spool_dir": tmp_path / "spool",
            "export_timeout": 5.0,
            **overrides,
        }
        stats = Stats()
        made = SpoolingOTLPExporter(Config(**settings), stats, start_replayer=start_replayer)
        built.append(made)
        return made, stats

    yield build
    for made in built:
        made.shutdown()


def test_delivers_to_a_healthy_collector(exporter: Factory) -> None:
    spans = make_spans(3)
    with stand_in() as collector:
        made, stats = exporter(collector.endpoint)
        assert made.export(spans) is SpanExportResult.SUCCESS
    assert collector.span_ids() == ids(spans)
    assert collector.requests[0].headers["authorization"] == "Bearer as_test"
    assert stats.snapshot()["spans_exported"] == 3


def test_retryable_answer_spools_and_later_batches_skip_the_network(exporter: Factory) -> None:
    with stand_in([(503, {"Retry-After": "30"})]) as collector:
        made, stats = exporter(collector.endpoint)
        assert made.export(make_spans(2)) is SpanExportResult.SUCCESS
        assert made.export(make_spans(3)) is SpanExportResult.SUCCESS
        assert len(collector.requests) == 1
    assert made.spool is not None and made.spool.counts()[:2] == (2, 5)
    assert stats.snapshot()["spans_spooled"] == 5


def test_unreachable_collector_spools(exporter: Factory) -> None:
    made, stats = exporter(f"http://127.0.0.1:{closed_port()}/v1/traces")
    assert made.export(make_spans(4)) is SpanExportResult.SUCCESS
    assert made.replayer is not None and made.replayer.collector_down
    assert stats.snapshot()["spans_spooled"] == 4


@pytest.mark.parametrize("status", [400, 401, 403])
def test_final_rejection_is_dropped_not_spooled(exporter: Factory, status: int) -> None:
    with stand_in([(status, {})]) as collector:
        made, stats = exporter(collector.endpoint)
        assert made.export(make_spans(2)) is SpanExportResult.FAILURE
    assert made.spool is not None and made.spool.counts() == (0, 0, 0)
    assert stats.snapshot()["spans_dropped_rejected"] == 2


def test_413_splits_the_batch_in_halves(exporter: Factory) -> None:
    spans = make_spans(4)
    with stand_in([(413, {})]) as collector:
        made, stats = exporter(collector.endpoint)
        assert made.export(spans) is SpanExportResult.SUCCESS
    assert [len(r.span_ids()) for r in collector.requests] == [4, 2, 2]
    assert stats.snapshot()["spans_exported"] == 4


def test_413_on_a_single_span_drops_it(exporter: Factory) -> None:
    with stand_in([(413, {})]) as collector:
        made, stats = exporter(collector.endpoint)
        assert made.export(make_spans(1)) is SpanExportResult.FAILURE
    assert stats.snapshot()["spans_dropped_rejected"] == 1


def test_large_batches_are_split_before_sending(exporter: Factory) -> None:
    spans = make_spans(8, size=1000)
    with stand_in() as collector:
        made, _ = exporter(collector.endpoint, max_request_bytes=2500)
        made.export(spans)
    assert all(len(r.body) <= 2500 for r in collector.requests)
    assert sorted(collector.span_ids()) == sorted(ids(spans))


def test_without_a_spool_undeliverable_spans_are_counted(exporter: Factory) -> None:
    made, stats = exporter(f"http://127.0.0.1:{closed_port()}/v1/traces", spool_dir=None)
    assert made.export(make_spans(2)) is SpanExportResult.FAILURE
    assert stats.snapshot()["spans_dropped_unspoolable"] == 2


def test_a_failing_spool_write_is_counted(exporter: Factory, monkeypatch: pytest.MonkeyPatch) -> None:
    made, stats = exporter(f"http://127.0.0.1:{closed_port()}/v1/traces")

    def full(*args: object) -> None:
        raise SpoolError("disk full")

    assert made.spool is not None
    monkeypatch.setattr(made.spool, "put", full)
    assert made.export(make_spans(3)) is SpanExportResult.FAILURE
    assert stats.snapshot()["spans_dropped_unspoolable"] == 3


def test_shutdown_deadline_cuts_a_hanging_collector_and_spools(exporter: Factory) -> None:
    with stand_in(hang=True) as collector:
        made, stats = exporter(collector.endpoint, export_timeout=30.0)
        made.begin_shutdown(0.5)
        started = time.monotonic()
        assert made.export(make_spans(2)) is SpanExportResult.SUCCESS
        assert time.monotonic() - started < 3
    assert stats.snapshot()["spans_spooled"] == 2


def test_background_replayer_delivers_once_the_collector_is_back(exporter: Factory) -> None:
    spans = make_spans(3)
    with stand_in([(503, {"Retry-After": "0.2"})]) as collector:
        made, stats = exporter(collector.endpoint, start_replayer=True)
        made.export(spans)
        deadline = time.monotonic() + 10
        while stats.snapshot()["spans_replayed"] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert collector.span_ids() == ids(spans) * 2  # refused once, then delivered by the replayer
    assert made.spool is not None and made.spool.counts() == (0, 0, 0)
