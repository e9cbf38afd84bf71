"""Decode a stream entry into plain per-span records for the security and cost processors.

Processors read attribute *values* (token counts, messages), so attributes become a dict of plain
Python values: ``str``/``bool``/``int``/``float``, lists for ``arrayValue`` and dicts for
``kvlistValue``. Pure functions over bytes; no I/O.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.semconv.value_record import record

_ZERO8 = bytes(8)


def plain(v: Any) -> Any:
    """OTLP ``AnyValue`` → plain Python value."""
    fields = v.ListFields()
    if not fields:
        return None
    desc, x = fields[0]
    name = desc.name
    if name == "array_value":
        return [plain(e) for e in x.values]
    if name == "kvlist_value":
        return {kv.key: plain(kv.value) for kv in x.values}
    if name == "bytes_value":
        return base64.b64encode(x).decode("ascii")
    return x


@record
class SpanRecord:
    """One span, as the processors see it (before any server-side scrubbing)."""

    project: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    service: str
    attributes: dict[str, Any]
    events: tuple[tuple[str, dict[str, Any]], ...]

    @property
    def duration_ns(self) -> int:
        """End minus start, never negative."""
        return max(0, self.end_ns - self.start_ns)


def iter_spans(project: str, body: bytes) -> Iterator[SpanRecord]:
    """Yield every span of one ``ExportTraceServiceRequest``."""
    req = ExportTraceServiceRequest.FromString(body)
    for rs in req.resource_spans:
        service = ""
        for kv in rs.resource.attributes:
            if kv.key == "service.name":
                service = kv.value.string_value
                break
        for ss in rs.scope_spans:
            for s in ss.spans:
                attrs: dict[str, Any] = {}
                for kv in s.attributes:
                    v = kv.value
                    x = v.string_value
                    attrs[kv.key] = x if x else plain(v)
                events = tuple((ev.name, {kv.key: plain(kv.value) for kv in ev.attributes}) for ev in s.events)
                pid = s.parent_span_id
                yield SpanRecord(
                    project,
                    s.trace_id.hex(),
                    s.span_id.hex(),
                    pid.hex() if pid and pid != _ZERO8 else "",
                    s.name,
                    s.kind,
                    s.start_time_unix_nano,
                    s.end_time_unix_nano,
                    s.status.code,
                    s.status.message,
                    service,
                    attrs,
                    events,
                )
