"""Runaway loops: the same tool called with the same arguments many times in one trace.

Counts ``execute_tool`` spans, and tool calls the model requests in its output, per trace and per
``(tool, canonical arguments)``. The alert fires once, when the count first exceeds the threshold.
Arguments are compared after JSON canonicalisation (key order and spacing do not matter).

Two ways to count, same rule: :class:`LoopTracker` counts in this process (unit tests, benches, a
single replica), and :func:`calls` + :func:`loop_alert` let the security worker count in Redis, so
a loop whose calls reach different replicas is still one loop (see ``processors/global_state.py``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

import orjson

from agentstate.processors.detectors.alert import Alert, Category, Severity, evidence
from agentstate.semconv.span_record import NormalizedSpan, Operation
from agentstate.semconv.value_record import record

_EXECUTE_TOOL: Final = Operation.EXECUTE_TOOL
"""Read once (an enum member read off its class costs ~70 ns in Python 3.11)."""
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


def call_digest(source: str, tool: str, arguments: str | None) -> str:
    """Return the hex identity of one call: same source, tool and canonical arguments, same digest."""
    return hashlib.blake2b(f"{source}\0{tool}\0{canonical_arguments(arguments)}".encode(), digest_size=12).hexdigest()


@record  # built for every tool call: a plain slotted class at run time, frozen for mypy
class LoopCall:
    """One tool call seen in a span, ready to be counted.

    Attributes:
        digest: :func:`call_digest` of the call (what identical calls share).
        member: ``<span_id>:<index>``: the same call of a redelivered span has the same member, so
            a set of members counts each call once however often it is processed.
        tool: Tool name (for the alert).
        arguments: Raw arguments (for the alert's evidence).
    """

    digest: str
    member: str
    tool: str
    arguments: str | None


def calls(span_id: str, span: NormalizedSpan) -> list[LoopCall]:
    """Return the tool calls of one span (its own ``execute_tool`` call, then model-requested ones)."""
    if span.operation is not _EXECUTE_TOOL:
        for message in span.output_messages:
            if message.tool_calls:
                break
        else:
            return []  # most spans: no list to build
    requested = [(call.name, call.arguments) for message in span.output_messages for call in message.tool_calls]
    return calls_of(span_id, span.operation, span.tool_name, span.tool_arguments, requested)


def calls_of(
    span_id: str,
    operation: Operation,
    tool_name: str | None,
    tool_arguments: str | None,
    requested: Sequence[tuple[str, str | None]],
) -> list[LoopCall]:
    """:func:`calls` from the fields it reads (``requested``: the ``(name, arguments)`` of the tool
    calls in the span's output, in order): the security engine's columnar path has no record."""
    found = [("span", tool_name, tool_arguments)] if operation is _EXECUTE_TOOL and tool_name else []
    found += [("model", name, arguments) for name, arguments in requested]
    return [LoopCall(call_digest(source, tool, args), f"{span_id}:{i}", tool, args)
            for i, (source, tool, args) in enumerate(found)]  # fmt: skip


def loop_alert(call: LoopCall, n: int) -> Alert:
    """The ``runaway_loop`` alert for a call seen ``n`` times in its trace."""
    return Alert("runaway_loop", Category.RUNAWAY_LOOP, Severity.MEDIUM, float(n),
                 evidence(f"{call.tool}({call.arguments or ''})"),
                 f"tool {call.tool} called {n} times with the same arguments in one trace")  # fmt: skip


def first_over(span_calls: list[LoopCall], counts: list[int], threshold: int) -> Alert | None:
    """The span's loop alert: its first call whose trace-wide count exceeds ``threshold``, if any.

    Every call past the threshold proposes the alert (not only the one that crosses it): counts
    from other replicas interleave, and a redelivered span sees a higher count than the first
    time. The one-alert-per-trace decision is made afterwards, per ``(project, trace, rule)``.
    """
    for call, n in zip(span_calls, counts, strict=True):
        if n > threshold:
            return loop_alert(call, n)
    return None


class LoopTracker:
    """Counts identical tool calls per trace, in this process.

    Args:
        threshold: Identical calls allowed; the alert fires on call ``threshold + 1``.
        max_traces: Traces remembered (least recently active forgotten first).
    """

    __slots__ = ("_max", "_threshold", "_traces")

    def __init__(self, threshold: int = DEFAULT_THRESHOLD, max_traces: int = 50_000) -> None:
        self._threshold, self._max = threshold, max_traces
        self._traces: OrderedDict[tuple[str, str], dict[str, int]] = OrderedDict()

    def count(self, project_id: str, trace_id: str, source: str, tool: str, arguments: str | None) -> int:
        """Record one call and return how many identical calls the trace has had, this one included."""
        return self.count_digest(project_id, trace_id, call_digest(source, tool, arguments))

    def count_digest(self, project_id: str, trace_id: str, digest: str) -> int:
        """Record one call by its :func:`call_digest` and return the trace's count of it."""
        key = (project_id, trace_id)
        counts = self._traces.get(key)
        if counts is None:
            counts = self._traces[key] = {}
            if len(self._traces) > self._max:
                self._traces.popitem(last=False)
        else:
            self._traces.move_to_end(key)
        counts[digest] = n = counts.get(digest, 0) + 1
        return n

    def detect(self, project_id: str, trace_id: str, span: NormalizedSpan, span_id: str = "") -> list[Alert]:
        """Return a ``runaway_loop`` alert when this span's tool call crosses the threshold."""
        alerts: list[Alert] = []
        for call in calls(span_id, span):
            n = self.count_digest(project_id, trace_id, call.digest)
            if n == self._threshold + 1 and not alerts:
                alerts.append(loop_alert(call, n))
        return alerts
