"""Throughput of the pure processor logic on one core: normalise, cost, security, scrub.

    python bench/processors_throughput.py [--requests 20]

Uses the ingest benchmark's GenAI-shaped requests (500 spans, ~10 per trace, 0.8–2.1 KB prompts),
decodes them with upb once per pass, and times, per span: decode only (the baseline), decode +
normalise + cost row (the cost worker's work), decode + normalise + security engine (the security
worker's work), and redaction of every non-structural string attribute (the writer's scrub). Each
measurement is repeated (``--repeat``, interleaved) and the median kept. Prints spans/s, the ratio to
the decode baseline measured in the same run, the logic's own cost (µs/span above decode, and the
spans/s one core would reach on the logic alone), and the ratio this code had before the fast paths
(detector gates, lazy key lookups, bisection MAD) for comparison. No I/O: the Redis and ClickHouse
costs of the workers come on top. Every request has different texts, so the detectors'
verdict cache (which real agent traces hit, as each model call resends the conversation) never helps.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402
from payloads import build_template, stamp  # noqa: E402

from agentstate.processors.detectors.engine import SecurityEngine  # noqa: E402
from agentstate.processors.detectors.injection import score_text  # noqa: E402
from agentstate.processors.normalize import normalize  # noqa: E402
from agentstate.processors.pricing import PriceBook, SpanRef, compute_cost  # noqa: E402
from agentstate.semconv.redaction import DEFAULT_REDACTOR, is_safe_key  # noqa: E402

Span = tuple[SpanRef, str, dict[str, object], int]
BASELINE = "decode only (baseline)"
BEFORE = {
    BASELINE: 1.00,
    "decode + normalise + cost row": 0.18,
    "decode + normalise + security engine": 0.05,
    "decode + scrub string attributes": 0.30,
}
"""Ratio to the baseline before the fast paths (median of runs on the 2-core dev machine)."""


def _value(v: Any) -> object:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


def decode(body: bytes) -> Iterator[Span]:
    """Yield (ref, name, attributes, duration) for every span of one request."""
    req = ExportTraceServiceRequest.FromString(body)
    for rs in req.resource_spans:
        service = next((kv.value.string_value for kv in rs.resource.attributes if kv.key == "service.name"), "")
        for ss in rs.scope_spans:
            for s in ss.spans:
                ref = SpanRef("bench", s.trace_id.hex(), s.span_id.hex(), s.start_time_unix_nano, service)
                attrs = {kv.key: _value(kv.value) for kv in s.attributes}
                yield ref, s.name, attrs, s.end_time_unix_nano - s.start_time_unix_nano


def _rate(bodies: list[bytes], work: Callable[[Span], object]) -> float:
    gc.collect()
    count, start = 0, time.perf_counter()
    for body in bodies:
        for span in decode(body):
            work(span)
            count += 1
    return count / (time.perf_counter() - start)


def main() -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="requests of 500 spans per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per path (median kept)")
    args = parser.parse_args()
    # A fresh seed per request: repeated texts would hit the detectors' verdict cache.
    bodies = [stamp(build_template(500, seed=i), i) for i in range(args.requests)]
    book = PriceBook()
    engines = [SecurityEngine()]

    def cost(span: Span) -> object:
        return compute_cost(normalize(span[2], span[1], content=False), span[0], book)

    def security(span: Span) -> object:
        return engines[0].evaluate(span[0], normalize(span[2], span[1]), span[3])

    def scrub(span: Span) -> object:
        return [DEFAULT_REDACTOR.redact(v) for k, v in span[2].items() if isinstance(v, str) and not is_safe_key(k)]

    work: dict[str, Callable[[Span], object]] = {
        BASELINE: lambda s: None,
        "decode + normalise + cost row": cost,
        "decode + normalise + security engine": security,
        "decode + scrub string attributes": scrub,
    }
    samples: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(max(1, args.repeat)):
        for name, fn in work.items():
            # Each pass sees the spans for the first time, as a worker would: no verdict cache hits,
            # no loop counters or per-trace alerts left over from the previous pass.
            score_text.cache_clear()
            engines[0] = SecurityEngine()
            samples[name].append(_rate(bodies, fn))
    rates = {name: statistics.median(values) for name, values in samples.items()}
    base = rates[BASELINE]
    print(f"{'':40} {'spans/s':>10}  {'x base':>6}  {'before':>6}  {'logic us/span':>13}  {'logic spans/s':>13}")
    for name, rate in rates.items():
        logic_us = 1e6 / rate - 1e6 / base
        if name == BASELINE:
            logic = ""
        elif logic_us <= 0:
            # With one tiny request the logic can time faster than decode alone: noise, not a rate.
            logic = f"{'within noise':>13}  {'':>13}"
        else:
            logic = f"{logic_us:13.1f}  {1e6 / logic_us:13,.0f}"
        print(f"{name:40} {rate:10,.0f}  {rate / base:6.2f}  {BEFORE[name]:6.2f}  {logic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
