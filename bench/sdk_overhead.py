"""Per-call overhead of ``@observe`` next to raw OpenTelemetry, measured in the same run.

    .venv/bin/python bench/sdk_overhead.py            # full run (~1 min on 2 cores)
    .venv/bin/python bench/sdk_overhead.py --quick    # smoke run

Every variant uses a ``TracerProvider`` with a ``BatchSpanProcessor`` in front of a no-op
exporter. The baseline is ``tracer.start_as_current_span`` around the same trivial function. For
``@observe`` the whole AgentState pipeline runs (its span processor, the scrubbing exporter
wrapper), only the final network exporter is replaced by the no-op one. Overhead is the time per
call minus that of the undecorated function; each figure is the median of several runs. Targets
(issue 3): ≤ 1.5× raw OTel with capture on, ≤ 1.2× with capture off, < 1 µs when disabled.
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

import agentstate
from agentstate import observe
from agentstate._internal.scrub import SpanScrubber
from agentstate.semconv.redaction import DEFAULT_REDACTOR


class NoOpExporter(SpanExporter):
    """Accepts every batch and does nothing."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _time_per_call(call: Callable[[], Any], calls: int, runs: int, between: Callable[[], Any]) -> float:
    """Median over ``runs`` of the mean µs per call."""
    samples = []
    for _ in range(runs):
        between()
        gc.collect()
        start = time.perf_counter_ns()
        for _ in range(calls):
            call()
        samples.append((time.perf_counter_ns() - start) / calls / 1000)
    return statistics.median(samples)


def _shapes(decorate: Callable[[Callable[..., Any]], Callable[..., Any]]) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """A trivial one-span call and a three-deep nested call under ``decorate``."""

    @decorate
    def leaf(x: int, y: int) -> int:
        return x + y

    @decorate
    def middle(x: int) -> int:
        return leaf(x, 1)

    @decorate
    def outer(x: int) -> int:
        return middle(x)

    return (lambda: leaf(1, 2)), (lambda: outer(1))


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
    messages_out = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}])
    attributes = {
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and runs (smoke test)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    options = parser.parse_args()
    calls, runs = (2_000, 3) if options.quick else (10_000, 7)

    raw_provider = TracerProvider()
    raw_provider.add_span_processor(BatchSpanProcessor(NoOpExporter()))
    raw_one, raw_nested = _raw_otel_shapes(raw_provider)
    bare_one, bare_nested = _shapes(lambda f: f)
    obs_one, obs_nested = _shapes(observe)

    def flush_raw() -> None:
        raw_provider.force_flush()

    results: dict[str, float] = {}
    bare = {"one": _time_per_call(bare_one, calls, runs, lambda: None)}
    bare["nested"] = _time_per_call(bare_nested, calls, runs, lambda: None)

    def measure(label: str, one: Callable[[], Any], nested: Callable[[], Any], between: Callable[[], Any]) -> None:
        results[f"{label} one"] = _time_per_call(one, calls, runs, between) - bare["one"]
        results[f"{label} nested"] = _time_per_call(nested, calls, runs, between) - bare["nested"]

    measure("raw otel", raw_one, raw_nested, flush_raw)
    agentstate.shutdown()
    measure("observe disabled", obs_one, obs_nested, lambda: None)
    for label, capture, scrub in (
        ("observe capture on", True, True),
        ("observe capture off", False, True),
        ("observe capture on, scrub off", True, False),
    ):
        provider = TracerProvider()
        agentstate.init(tracer_provider=provider, span_exporter=NoOpExporter(), capture_io=capture, scrub=scrub)
        measure(label, obs_one, obs_nested, agentstate.flush)
        agentstate.shutdown()
    measure("raw otel (again)", raw_one, raw_nested, flush_raw)

    scrubber = SpanScrubber(DEFAULT_REDACTOR)
    span = _typical_llm_span()
    scrub_us = _time_per_call(lambda: scrubber.scrub(span), max(calls // 10, 200), runs, lambda: None)

    raw = {shape: min(results[f"raw otel {shape}"], results[f"raw otel (again) {shape}"]) for shape in ("one", "nested")}
    print(f"{'variant':34} {'one span µs':>12} {'× raw':>7} {'3 nested µs':>12} {'× raw':>7}")
    for label in dict.fromkeys(key.rsplit(" ", 1)[0] for key in results):
        one, nested = results[f"{label} one"], results[f"{label} nested"]
        print(f"{label:34} {one:12.2f} {one / raw['one']:7.2f} {nested:12.2f} {nested / raw['nested']:7.2f}")
    print(f"{'scrub one typical LLM span (~2.5 KB)':34} {scrub_us:12.2f}")
    checks = {
        "capture on ≤ 1.5× raw": results["observe capture on one"] <= 1.5 * raw["one"],
        "capture off ≤ 1.2× raw": results["observe capture off one"] <= 1.2 * raw["one"],
        "disabled < 1 µs": results["observe disabled one"] < 1.0,
    }
    for name, ok in checks.items():
        print(f"target {name}: {'met' if ok else 'MISSED'}")
    if options.json:
        print(json.dumps({"per_call_us": results, "scrub_llm_span_us": scrub_us, "targets": checks}, indent=2))


if __name__ == "__main__":
    main()
