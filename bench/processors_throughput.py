"""Throughput of the pure processor logic on one core: normalise, cost, security, scrub.

    python bench/processors_throughput.py [--requests 20]

Uses the ingest benchmark's GenAI-shaped requests (500 spans, ~10 per trace, 0.8–2.1 KB prompts),
decodes them with upb once per pass, and times, per span: decode only (the baseline), decode +
normalise + cost row (the cost worker's work), decode + normalise + security engine (the security
worker's work), and redaction of every non-structural string attribute (the writer's scrub). Prints
spans/s and the ratio to the decode baseline measured in the same run. No I/O: the Redis and
ClickHouse costs of the workers come on top. Every request has different texts, so the detectors'
verdict cache (which real agent traces hit, as each model call resends the conversation) never helps.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from agentstate.processors.detectors.engine import SecurityEngine  # noqa: E402
from agentstate.processors.normalize import normalize  # noqa: E402
from agentstate.processors.pricing import PriceBook, SpanRef, compute_cost  # noqa: E402
from agentstate.semconv.redaction import DEFAULT_REDACTOR, is_safe_key  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402
from payloads import build_template, stamp  # noqa: E402

Span = tuple[SpanRef, str, dict[str, object], int]


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
    args = parser.parse_args()
    # A fresh seed per request: repeated texts would hit the detectors' verdict cache.
    bodies = [stamp(build_template(500, seed=i), i) for i in range(args.requests)]
    book, engine = PriceBook(), SecurityEngine()

    def cost(span: Span) -> object:
        return compute_cost(normalize(span[2], span[1], content=False), span[0], book)

    def security(span: Span) -> object:
        return engine.evaluate(span[0], normalize(span[2], span[1]), span[3])

    def scrub(span: Span) -> object:
        return [DEFAULT_REDACTOR.redact(v) for k, v in span[2].items() if isinstance(v, str) and not is_safe_key(k)]

    rates = {
        "decode only (baseline)": _rate(bodies, lambda s: None),
        "decode + normalise + cost row": _rate(bodies, cost),
        "decode + normalise + security engine": _rate(bodies, security),
        "decode + scrub string attributes": _rate(bodies, scrub),
    }
    base = rates["decode only (baseline)"]
    for name, rate in rates.items():
        print(f"{name:40} {rate:10,.0f} spans/s   {rate / base:5.2f} x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
