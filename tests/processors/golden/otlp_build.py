"""Test helper: golden cases → one OTLP ``ExportTraceServiceRequest`` (protobuf), as a receiver gets it."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.processors.golden.spans import Case


def any_value(value: Any, out: AnyValue) -> None:
    """Fill ``out`` with ``value`` (str, bool, int, float, list, dict; ``None`` stays empty)."""
    if isinstance(value, str):
        out.string_value = value
    elif isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int):
        out.int_value = value
    elif isinstance(value, float):
        out.double_value = value
    elif isinstance(value, list | tuple):
        out.array_value.SetInParent()
        for item in value:
            any_value(item, out.array_value.values.add())
    elif isinstance(value, dict):
        out.kvlist_value.SetInParent()
        for key, item in value.items():
            kv = out.kvlist_value.values.add()
            kv.key = key
            any_value(item, kv.value)


def span_id(index: int) -> str:
    """The hex span ID given to case ``index``."""
    return f"{index + 1:016x}"


def request(cases: list[Case], start_ns: int) -> bytes:
    """One request holding every case as a span of one trace (case ``i`` gets :func:`span_id` ``(i)``)."""
    req = ExportTraceServiceRequest()
    spans = req.resource_spans.add().scope_spans.add().spans
    for i, (_, name, attributes) in enumerate(cases):
        span = spans.add()
        span.trace_id, span.span_id, span.name = bytes.fromhex("ab" * 16), bytes.fromhex(span_id(i)), name
        span.start_time_unix_nano, span.end_time_unix_nano = start_ns + i, start_ns + i + 1000
        for key, value in attributes.items():
            kv = span.attributes.add()
            kv.key = key
            any_value(value, kv.value)
    body: bytes = req.SerializeToString()
    return body
