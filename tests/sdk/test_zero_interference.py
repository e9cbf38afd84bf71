"""Break the SDK from the inside: the decorated function must behave exactly as without it.

Each case sets up one failure (exporter or scrubber raising, hostile arguments, a collector that
hangs, a full queue, an unwritable spool, internal bugs) and checks the decorated call returns the
same value, or raises the same exception, as the undecorated function, and never anything else.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import agentstate
from agentstate import observe, propagate_attributes
from agentstate._internal import spanspec
from tests.sdk.readonly import read_only_folder
from tests.sdk.standin import stand_in
from tests.sdk.test_exporter import closed_port


class RaisingExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        raise RuntimeError("exporter exploded")


class SlowExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        time.sleep(0.05)
        return SpanExportResult.SUCCESS


class Hostile:
    """Every dunder the serializer might touch raises."""

    def __repr__(self) -> str:
        raise RuntimeError("repr")

    def __str__(self) -> str:
        raise RuntimeError("str")

    def model_dump(self) -> Any:
        raise RuntimeError("model_dump")


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot print me")


def recursive() -> list[Any]:
    value: list[Any] = []
    value.append({"again": value})
    return value


@observe(kind="tool")
def echo(value: Any) -> Any:
    return value


@observe
def raise_given(error: BaseException) -> None:
    raise error


Setup = Callable[[pytest.MonkeyPatch, Path], None]


def _init(**kwargs: Any) -> Setup:
    def setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        agentstate.init(tracer_provider=TracerProvider(), **kwargs)

    return setup


def _scrubber_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from agentstate.semconv import redaction

    monkeypatch.setattr(redaction.Redactor, "redact", lambda self, text: 1 / 0)
    agentstate.init(tracer_provider=TracerProvider(), span_exporter=SlowExporter())


def _full_queue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "4")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2")
    agentstate.init(tracer_provider=TracerProvider(), span_exporter=SlowExporter())


def _unwritable_spool(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    agentstate.init(
        tracer_provider=TracerProvider(),
        collector_url=f"http://127.0.0.1:{closed_port()}",
        spool_dir=blocker / "spool",
    )


def _read_only_spool(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    agentstate.init(
        tracer_provider=TracerProvider(),
        collector_url=f"http://127.0.0.1:{closed_port()}",
        spool_dir=read_only_folder(tmp_path),
    )


def _broken_tracer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    provider = TracerProvider()
    agentstate.init(tracer_provider=provider)
    from opentelemetry.sdk.trace import Tracer

    monkeypatch.setattr(Tracer, "start_span", lambda *a, **k: 1 / 0)


def _internal_bug(function: str) -> Setup:
    """A bug inside the span hooks: one helper they call raises."""

    def setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        agentstate.init(tracer_provider=TracerProvider(), span_exporter=SlowExporter())
        monkeypatch.setattr(spanspec, function, lambda *a, **k: 1 / 0)

    return setup


def _hostile_scope(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    agentstate.init(tracer_provider=TracerProvider(), span_exporter=SlowExporter())
    scope = propagate_attributes(metadata={"bad": Hostile()}, tags=["ok"])
    scope.__enter__()


SETUPS = [
    pytest.param(_init(span_exporter=RaisingExporter()), id="exporter-raises"),
    pytest.param(_scrubber_raises, id="scrubber-raises"),
    pytest.param(_full_queue, id="full-queue"),
    pytest.param(_unwritable_spool, id="unwritable-spool"),
    pytest.param(_read_only_spool, id="read-only-spool-folder"),
    pytest.param(_broken_tracer, id="tracer-raises"),
    pytest.param(_internal_bug("args_to_json"), id="bug-capturing-input"),
    pytest.param(_internal_bug("to_json"), id="bug-capturing-output"),
    pytest.param(_internal_bug("set_attributes"), id="bug-setting-attributes"),
    pytest.param(_internal_bug("record_exception"), id="bug-recording-exception"),
    pytest.param(_hostile_scope, id="hostile-metadata"),
]

ARGUMENTS = [
    pytest.param(Hostile(), id="unserialisable"),
    pytest.param(recursive(), id="recursive"),
    pytest.param("x" * 20_000_000, id="huge"),
    pytest.param({"nested": [Hostile(), {1, 2}, b"\x00"]}, id="mixed"),
]


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("argument", ARGUMENTS)
def test_return_value_is_untouched(
    setup: Setup, argument: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, swallow_internal_errors: None
) -> None:
    setup(monkeypatch, tmp_path)
    for _ in range(20):
        assert echo(argument) is argument
    agentstate.flush()


ERRORS = [
    pytest.param(ValueError("plain"), id="value-error"),
    pytest.param(UnprintableError(), id="unprintable"),
    pytest.param(KeyboardInterrupt(), id="keyboard-interrupt"),
    pytest.param(SystemExit(3), id="system-exit"),
]


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("error", ERRORS)
def test_exception_is_untouched(
    setup: Setup, error: BaseException, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, swallow_internal_errors: None
) -> None:
    setup(monkeypatch, tmp_path)
    with pytest.raises(type(error)) as info:
        raise_given(error)
    assert info.value is error
    agentstate.flush()


def test_huge_argument_costs_little(sdk: Any) -> None:
    # Measured in memory, not time: capturing a bounded head allocates kilobytes, while any copy,
    # encoding or serialisation of the whole 50 MB argument allocates megabytes.
    huge = "y" * 50_000_000
    echo("warm-up")
    tracemalloc.start()
    try:
        echo(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, peak
    captured = [str(s["attributes"].get("input.value", "")) for s in sdk.dicts()]
    (head,) = [c for c in captured if "yyyy" in c]
    assert len(head) < 100_000  # what it captured is a bounded head


def test_hanging_collector_does_not_slow_calls(tmp_path: Path) -> None:
    with stand_in(hang=True) as collector:
        agentstate.init(
            tracer_provider=TracerProvider(), collector_url=collector.url, spool_dir=tmp_path, export_timeout=30
        )
        started = time.perf_counter()
        for i in range(3000):
            echo(i)
        elapsed = time.perf_counter() - started
        shutdown_started = time.perf_counter()
        agentstate.shutdown(timeout=0.5)
        shutdown_took = time.perf_counter() - shutdown_started
    assert elapsed < 3.0  # ~1 ms per call would already be 3 s; normal is tens of µs
    assert shutdown_took < 3.0


def test_full_queue_drops_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    before = agentstate.stats()
    _full_queue(monkeypatch, Path("."))
    for i in range(200):
        echo(i)
    agentstate.flush()
    after = agentstate.stats()
    ended = after["spans_ended"] - before["spans_ended"]
    received = after["spans_received"] - before["spans_received"]
    assert ended == 200
    assert 0 < received < 200
