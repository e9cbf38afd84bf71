"""Helpers to test code instrumented with AgentState (and AgentState itself).

Deterministic IDs and clock make whole spans comparable with ``==``::

    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=IncrementingIdGenerator())
    agentstate.init(tracer_provider=provider, span_exporter=exporter)
    with deterministic_clock():
        run_agent()
    agentstate.flush()
    assert span_dicts(exporter.get_finished_spans()) == [...]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.id_generator import IdGenerator


class IncrementingIdGenerator(IdGenerator):
    """Trace and span IDs 1, 2, 3 … in creation order."""

    def __init__(self) -> None:
        self._trace_ids = itertools.count(1)
        self._span_ids = itertools.count(1)

    def generate_trace_id(self) -> int:
        """The next trace ID."""
        return next(self._trace_ids)

    def generate_span_id(self) -> int:
        """The next span ID."""
        return next(self._span_ids)


@contextmanager
def deterministic_clock(step_ns: int = 1_000_000_000) -> Iterator[None]:
    """Within the block, span timestamps are ``step_ns``, ``2 * step_ns`` … in call order."""
    ticks = itertools.count(1)
    original = getattr(sdk_trace, "time_ns")  # noqa: B009 - not re-exported, hence getattr
    setattr(sdk_trace, "time_ns", lambda: next(ticks) * step_ns)  # noqa: B010
    try:
        yield
    finally:
        setattr(sdk_trace, "time_ns", original)  # noqa: B010


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def span_dicts(spans: Sequence[ReadableSpan], *, stacktraces: bool = False) -> list[dict[str, Any]]:
    """Spans as plain dicts, in the order given, for whole-span ``==`` comparisons.

    Args:
        spans: Finished spans, e.g. ``InMemorySpanExporter().get_finished_spans()``.
        stacktraces: Keep ``exception.stacktrace`` as is; by default only its last line is
            kept, so tests do not depend on file paths and line numbers.
    """
    out = []
    for span in spans:
        events = []
        for event in span.events:
            attrs = {k: _plain(v) for k, v in (event.attributes or {}).items()}
            if not stacktraces and isinstance(attrs.get("exception.stacktrace"), str):
                attrs["exception.stacktrace"] = attrs["exception.stacktrace"].strip().splitlines()[-1]
            events.append({"name": event.name, "attributes": attrs})
        context = span.context
        out.append(
            {
                "name": span.name,
                "kind": span.kind.name,
                "span_id": context.span_id if context else None,
                "trace_id": context.trace_id if context else None,
                "parent": span.parent.span_id if span.parent else None,
                "start": span.start_time,
                "end": span.end_time,
                "status": span.status.status_code.name,
                "status_description": span.status.description,
                "attributes": {k: _plain(v) for k, v in (span.attributes or {}).items()},
                "events": events,
            }
        )
    return out
