"""Per-call overhead of ``@observe`` next to raw OpenTelemetry, measured in the same run.

    .venv/bin/python bench/sdk_overhead.py            # full run (~1 min on 2 cores)
    .venv/bin/python bench/sdk_overhead.py --quick    # smoke run

Every variant uses a ``TracerProvider`` with a ``BatchSpanProcessor`` in front of a no-op
exporter. The baseline is ``tracer.start_as_current_span`` around the same trivial function. For
``@observe`` the whole AgentState pipeline runs (its span processor, the scrubbing exporter
wrapper), only the final network exporter is replaced by the no-op one. Overhead is the time per
call minus that of the undecorated function; each figure is the median of several runs, the
variants interleaved run by run. Two clocks are shown: CPU time of the calling thread (stable on a
shared machine, and what the targets are checked on) and wall clock. Targets (issue 3): ≤ 1.5× raw
OTel with capture on, ≤ 1.2× with capture off, < 1 µs when disabled.

A sustained run then makes spans back to back without flushing (raw OTel and ``@observe`` with
capture and scrubbing on: with the same arguments on every call, with distinct ones, and with an
e-mail address in each), so the export thread's scrubbing competes with the application: it reports
the wall clock and the process CPU time (all threads) per span including the final flush, and how
many spans the batch queue dropped because scrubbing fell behind (target, issue 12, for the first
two: none, and ≤ 1.5× raw OTel wall clock for the first, the peers' side-by-side case).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanContext, TraceFlags
from opentelemetry.util.types import AttributeValue

import agentstate
from agentstate import observe
from agentstate._internal.scrub import SpanScrubber
from agentstate.semconv.redaction import DEFAULT_REDACTOR


class NoOpExporter(SpanExporter):
    """Accepts every batch and does nothing."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class CountingExporter(NoOpExporter):
    """Counts the spans it receives (dropped = made - exported)."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        return SpanExportResult.SUCCESS


def _sustained(make: Callable[[], Any], calls: int, flush_all: Callable[[], Any]) -> tuple[float, float]:
    """``calls`` calls back to back, the final flush included: (wall µs, process CPU µs) per call.

    Process CPU counts every thread (the export thread's scrubbing too); on a shared machine it
    moves much less than the wall clock, which also counts waiting for a core.
    """
    gc.collect()
    start, cpu = time.perf_counter_ns(), time.process_time_ns()
    for _ in range(calls):
        make()
    flush_all()
    return (time.perf_counter_ns() - start) / calls / 1000, (time.process_time_ns() - cpu) / calls / 1000


def _distinct(call: Callable[[Any, Any], Any], calls: int, pii: bool = False) -> Callable[[], Any]:
    """A zero-argument call of ``call`` with new arguments each time (nothing repeats in a batch).

    With ``pii``, the argument (and so the result) holds an e-mail address, made before the run.
    """
    args = [(f"mail user{i}@example.com today", "") if pii else (i, 7) for i in range(calls)]
    following = iter(args).__next__
    return lambda: call(*following())


def sustained_report(calls: int, rounds: int) -> dict[str, float]:
    """Raw OTel vs ``@observe`` (capture and scrubbing on) under sustained load: wall and CPU µs, drops.

    ``@observe`` runs three times: with the same arguments on every call (as the per-call runs and
    the peers' side-by-side run: the target), with distinct ones, so a batch holds no repeated value
    to redact once, and with an e-mail address in every argument and result, so every span is
    redacted and copied (shown, not a target: each span then costs the export thread more than the
    application spends making it). Each has the bare function called the same way as baseline.
    """
    exporter = CountingExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    raw_one, _ = _raw_otel_shapes(provider)
    obs_one, _ = _shapes(observe)
    bare_one, _ = _shapes(lambda f: f)
    obs_leaf, bare_leaf = _leaf(observe), _leaf(lambda f: f)
    labels = {
        "raw": "raw otel",
        "observe": "observe capture on, scrub on",
        "distinct": "  same, distinct arguments",
        "pii": "  same, an e-mail in each",
    }
    bases = ("bare", "bare_distinct", "bare_pii")
    samples: dict[str, list[tuple[float, float]]] = {key: [] for key in (*bases, *labels)}
    dropped = dict.fromkeys(labels, 0)

    def observed(key: str, make: Callable[[], Any]) -> None:
        counting = CountingExporter()
        agentstate.init(tracer_provider=TracerProvider(), span_exporter=counting, capture_io=True, scrub=True)
        samples[key].append(_sustained(make, calls, agentstate.flush))
        dropped[key] += calls - counting.count
        agentstate.shutdown()

    for _ in range(rounds):
        samples["bare"].append(_sustained(bare_one, calls, lambda: None))
        samples["bare_distinct"].append(_sustained(_distinct(bare_leaf, calls), calls, lambda: None))
        samples["bare_pii"].append(_sustained(_distinct(bare_leaf, calls, pii=True), calls, lambda: None))
        before = exporter.count
        samples["raw"].append(_sustained(raw_one, calls, provider.force_flush))
        dropped["raw"] += calls - (exporter.count - before)
        observed("observe", obs_one)
        observed("distinct", _distinct(obs_leaf, calls))
        observed("pii", _distinct(obs_leaf, calls, pii=True))
    provider.shutdown()

    def cost(key: str, clock: int) -> float:
        base = f"bare_{key}" if f"bare_{key}" in samples else "bare"
        return statistics.median(s[clock] for s in samples[key]) - statistics.median(s[clock] for s in samples[base])

    print(f"\nsustained load: {calls} one-span calls back to back, flush included, median of {rounds}")
    print(f"{'variant':32} {'wall µs':>9} {'× raw':>6} {'CPU µs':>9} {'× raw':>6} {'dropped':>8}")
    out: dict[str, float] = {}
    for key, label in labels.items():
        wall, cpu = cost(key, 0), cost(key, 1)
        wall_ratio, cpu_ratio = wall / cost("raw", 0), cpu / cost("raw", 1)
        print(f"{label:32} {wall:9.2f} {wall_ratio:6.2f} {cpu:9.2f} {cpu_ratio:6.2f} {dropped[key]:8d}")
        out |= {f"{key}_wall_us": wall, f"{key}_cpu_us": cpu, f"{key}_dropped": dropped[key]}
        if key != "raw":
            out |= {f"{key}_wall_ratio": wall_ratio, f"{key}_cpu_ratio": cpu_ratio}
    out["ratio"] = out["observe_wall_ratio"]
    return out


def _time_per_call(call: Callable[[], Any], calls: int) -> tuple[float, float]:
    """One run: (calling-thread CPU µs per call, wall-clock µs per call)."""
    gc.collect()
    cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
    for _ in range(calls):
        call()
    return (time.thread_time_ns() - cpu) / calls / 1000, (time.perf_counter_ns() - wall) / calls / 1000


def _shapes(
    decorate: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """A trivial one-span call and a three-deep nested call under ``decorate``."""

    @decorate
    def leaf(x: int, y: int) -> int:
        return x + y

    @decorate
    def middle(x: int) -> int:
        return int(leaf(x, 1))

    @decorate
    def outer(x: int) -> int:
        return int(middle(x))

    return (lambda: leaf(1, 2)), (lambda: outer(1))


def _leaf(decorate: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Callable[[Any, Any], Any]:
    @decorate
    def leaf(x: Any, y: Any) -> Any:
        return x + y

    return leaf


def _raw_otel_shapes(provider: TracerProvider) -> tuple[Callable[[], Any], Callable[[], Any]]:
    tracer = provider.get_tracer("bench")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        name = func.__name__

        def wrapper(*args: Any) -> Any:
            with tracer.start_as_current_span(name):
                return func(*args)

        return wrapper

    return _shapes(decorate)


def _typical_llm_span() -> ReadableSpan:
    user = (
        "I'm planning a trip to Lisbon from March 3 to March 9 for two adults. We'd like a hotel near "
        "Alfama under 180 EUR per night, a day trip to Sintra, and restaurant suggestions for seafood. "
    ) * 6
    answer = (
        "Here is a plan: Day 1 arrive and check in at Memmo Alfama; Day 2 tram 28 and the castle; Day 3 "
        "Sintra by train from Rossio (40 minutes), Pena Palace and Quinta da Regaleira; "
    ) * 6
    messages_in = json.dumps(
        [
            {"role": "system", "parts": [{"type": "text", "content": "You are a travel agent."}]},
            {"role": "user", "parts": [{"type": "text", "content": user + " Contact me at jane.doe@example.com."}]},
        ]
    )
    messages_out = json.dumps(
        [{"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}]
    )
    attributes: dict[str, AttributeValue] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.id": "chatcmpl-9xYzAbCdEf0123456789",
        "gen_ai.usage.input_tokens": 812,
        "gen_ai.usage.output_tokens": 406,
        "gen_ai.input.messages": messages_in,
        "gen_ai.output.messages": messages_out,
        "gen_ai.response.finish_reasons": ("stop",),
        "session.id": "chat-7f3a9c",
        "user.id": "u-19283",
        "agentstate.span.kind": "llm",
    }
    context = SpanContext(0x5B8EFFF798038103D269B633813FC60C, 0xEEE19B7EC3C1B174, False, TraceFlags(1))
    return ReadableSpan("chat gpt-4o", context=context, attributes=attributes, start_time=1, end_time=2)


Variant = tuple[str, Callable[[], Any], Callable[[], Any], Callable[[], None], Callable[[], None]]


def flush() -> None:
    """Empty the batch queues of every pipeline (outside the timed loops)."""
    agentstate.flush()
    for provider in _PROVIDERS:
        provider.force_flush()


_PROVIDERS: list[TracerProvider] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and runs (smoke test)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    options = parser.parse_args()
    # Calls per run keep each run's spans under the batch queue size (2048), so no run measures
    # queue-full drops; the queue is flushed between runs, outside the timed loop.
    calls, runs = (1_500, 5) if options.quick else (1_800, 25)
    per_shape = {"one": calls, "nested": calls // 3}

    raw_provider = TracerProvider()
    raw_provider.add_span_processor(BatchSpanProcessor(NoOpExporter()))
    _PROVIDERS.append(raw_provider)
    raw_one, raw_nested = _raw_otel_shapes(raw_provider)
    bare_one, bare_nested = _shapes(lambda f: f)
    obs_one, obs_nested = _shapes(observe)

    def observe_with(capture: bool, scrub: bool) -> Callable[[], None]:
        def start() -> None:
            agentstate.init(
                tracer_provider=TracerProvider(), span_exporter=NoOpExporter(), capture_io=capture, scrub=scrub
            )

        return start

    def nothing() -> None:
        return None

    variants: list[Variant] = [
        ("bare function", bare_one, bare_nested, nothing, nothing),
        ("raw otel", raw_one, raw_nested, nothing, nothing),
        ("observe disabled", obs_one, obs_nested, agentstate.shutdown, nothing),
        ("observe capture on", obs_one, obs_nested, observe_with(True, True), agentstate.shutdown),
        ("observe capture off", obs_one, obs_nested, observe_with(False, True), agentstate.shutdown),
        ("observe capture on, scrub off", obs_one, obs_nested, observe_with(True, False), agentstate.shutdown),
    ]
    samples: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(runs):  # interleaved: every variant once per round, so drift hits all alike
        for label, one, nested, start, stop in variants:
            start()
            for shape, call in (("one", one), ("nested", nested)):
                cpu, wall = _time_per_call(call, per_shape[shape])
                samples.setdefault((label, shape, "cpu"), []).append(cpu)
                samples.setdefault((label, shape, "wall"), []).append(wall)
                flush()
            stop()
    median = {key: statistics.median(values) for key, values in samples.items()}
    overhead = {
        (label, shape, clock): median[(label, shape, clock)] - median[("bare function", shape, clock)]
        for (label, shape, clock) in median
        if label != "bare function"
    }

    scrubber = SpanScrubber(DEFAULT_REDACTOR)
    span = _typical_llm_span()
    scrub_us = statistics.median(
        _time_per_call(lambda: scrubber.scrub(span), max(calls // 10, 200))[0] for _ in range(runs)
    )

    for clock, title in (("cpu", "calling-thread CPU time"), ("wall", "wall clock")):
        raw = {shape: overhead[("raw otel", shape, clock)] for shape in ("one", "nested")}
        print(f"\nper-call overhead, µs, median of {runs} interleaved runs ({title})")
        print(f"{'variant':32} {'one span':>9} {'× raw':>6} {'3 nested':>9} {'× raw':>6}")
        for label, *_ in variants[1:]:
            single, deep = overhead[(label, "one", clock)], overhead[(label, "nested", clock)]
            print(f"{label:32} {single:9.2f} {single / raw['one']:6.2f} {deep:9.2f} {deep / raw['nested']:6.2f}")
    print(f"\nscrub one typical LLM span (~2.5 KB of messages, 1 e-mail): {scrub_us:.1f} µs")
    sustained = sustained_report(20_000 if options.quick else 50_000, 1 if options.quick else 3)

    def ratio(label: str) -> float:
        return overhead[(label, "one", "cpu")] / overhead[("raw otel", "one", "cpu")]

    checks = {
        "capture on <= 1.5x raw (CPU)": ratio("observe capture on") <= 1.5,
        "capture off <= 1.2x raw (CPU)": ratio("observe capture off") <= 1.2,
        "disabled < 1 us (CPU)": overhead[("observe disabled", "one", "cpu")] < 1.0,
        "sustained <= 1.5x raw (wall)": sustained["ratio"] <= 1.5,
        "sustained: no span dropped": sustained["observe_dropped"] == 0 and sustained["distinct_dropped"] == 0,
    }
    for name, ok in checks.items():
        print(f"target {name}: {'met' if ok else 'MISSED'}")
    if options.json:
        flat = {" / ".join(key): round(value, 3) for key, value in overhead.items()}
        doc = {"overhead_us": flat, "scrub_llm_span_us": scrub_us, "sustained": sustained, "targets": checks}
        print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
