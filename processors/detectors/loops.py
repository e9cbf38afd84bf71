"""Runaway loops: the same tool called with the same arguments many times in one trace.

Counts ``execute_tool`` spans, and tool calls the model requests in its output, per trace and per
``(tool, canonical arguments)``. The alert fires once, when the count first exceeds the threshold.
Arguments are compared after JSON canonicalisation (key order and spacing do not matter).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Final

import orjson

from agentstate.processors.detectors.alert import Alert, Category, Severity, evidence
from agentstate.semconv.record import NormalizedSpan, Operation

DEFAULT_THRESHOLD: Final = 5
"""Identical calls allowed in one trace; the next one raises the alert."""


def canonical_arguments(arguments: str | None) -> str:
    """Return ``arguments`` with JSON key order and whitespace normalised (text otherwise stripped)."""
    if not arguments:
        return ""
    text = arguments.strip()
    if text[:1] in ("{", "["):
        try:
            return orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONDecodeError:
            pass
    return text


class LoopTracker:
    """Counts identical tool calls per trace.

    Args:
        threshold: Identical calls allowed; the alert fires on call ``threshold + 1``.
        max_traces: Traces remembered (least recently active forgotten first).
    """

    __slots__ = ("_max", "_threshold", "_traces")

    def __init__(self, threshold: int = DEFAULT_THRESHOLD, max_traces: int = 50_000) -> None:
        self._threshold, self._max = threshold, max_traces
        self._traces: OrderedDict[tuple[str, str], dict[bytes, int]] = OrderedDict()

    def count(self, project_id: str, trace_id: str, source: str, tool: str, arguments: str | None) -> int:
        """Record one call and return how many identical calls the trace has had, this one included."""
        key = (project_id, trace_id)
        counts = self._traces.get(key)
        if counts is None:
            counts = self._traces[key] = {}
            if len(self._traces) > self._max:
                self._traces.popitem(last=False)
        else:
            self._traces.move_to_end(key)
        digest = hashlib.blake2b(
            f"{source}\0{tool}\0{canonical_arguments(arguments)}".encode(), digest_size=12
        ).digest()
        counts[digest] = n = counts.get(digest, 0) + 1
        return n

    def detect(self, project_id: str, trace_id: str, span: NormalizedSpan) -> list[Alert]:
        """Return a ``runaway_loop`` alert when this span's tool call crosses the threshold."""
        alerts: list[Alert] = []
        for source, tool, args in _calls(span):
            n = self.count(project_id, trace_id, source, tool, args)
            if n == self._threshold + 1 and not alerts:
                alerts.append(Alert("runaway_loop", Category.RUNAWAY_LOOP, Severity.MEDIUM, float(n),
                                    evidence(f"{tool}({args or ''})"),
                                    f"tool {tool} called {n} times with the same arguments in one trace"))  # fmt: skip
        return alerts


def _calls(span: NormalizedSpan) -> Iterator[tuple[str, str, str | None]]:
    if span.operation is Operation.EXECUTE_TOOL and span.tool_name:
        yield "span", span.tool_name, span.tool_arguments
    for message in span.output_messages:
        for call in message.tool_calls:
            yield "model", call.name, call.arguments
