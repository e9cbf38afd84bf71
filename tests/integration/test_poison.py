"""A poison entry (one that can never be converted) costs only itself: issue 14, item 1.

Before the fix one span dated ``2**64-1`` made the writer's Arrow conversion raise ``OverflowError``,
which counted as transient: the batch was retried for minutes and then dead-lettered whole, other
projects' valid spans with it. The entries here are written straight to the stream, bypassing the
receiver's own check, to exercise the writer's defence alone.
"""

from __future__ import annotations

import json
import time

import pytest
import redis
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.semconv.streams import SPANS_STREAM, dead_letter
from tests.conftest import Platform

MAX_U64 = 2**64 - 1


def _request(trace: int, spans: int, start: int | None = None, event_time: int | None = None) -> bytes:
    req = ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans.add()
    now = time.time_ns()
    for i in range(spans):
        s = ss.spans.add()
        s.trace_id = trace.to_bytes(16, "big")
        s.span_id = (trace * 1000 + i + 1).to_bytes(8, "big")
        s.name = f"op-{i}"
        s.start_time_unix_nano = now if start is None else start
        s.end_time_unix_nano = s.start_time_unix_nano + 1000 if start is None else start
        if event_time is not None:
            s.events.add(name="e", time_unix_nano=event_time)
    return req.SerializeToString()


def _poison(kind: str, trace: int) -> dict[bytes, bytes | str | int]:
    if kind == "missing-body":
        return {b"p": "poisoner", b"n": 1}
    body = _request(trace, 1, start=MAX_U64) if kind == "span-times" else _request(trace, 1, event_time=MAX_U64)
    return {b"p": "poisoner", b"b": body, b"n": 1}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("span-times", id="start-and-end-2**64-1"),
        pytest.param("event-time", id="event-time-2**64-1"),
        pytest.param("missing-body", id="entry-without-body"),
    ],
)
def test_poison_entry_is_dead_lettered_alone_and_the_batch_is_stored_once(platform: Platform, kind: str) -> None:
    project, _ = platform.new_project()
    base = int(time.time() * 1000) % 10**9 * 10
    r = redis.Redis.from_url(platform.redis_url)
    try:
        # One transaction: the writer reads the poison and the valid entries in the same batch.
        pipe = r.pipeline(transaction=True)
        pipe.xadd(SPANS_STREAM, {b"p": project, b"b": _request(base + 1, 5), b"n": 5})
        pipe.xadd(SPANS_STREAM, _poison(kind, base + 2))  # type: ignore[arg-type]
        pipe.xadd(SPANS_STREAM, {b"p": project, b"b": _request(base + 3, 5), b"n": 5})
        pipe.xadd(SPANS_STREAM, {b"p": project, b"b": _request(base + 4, 5), b"n": 5})
        ids = pipe.execute()
        poison_id = ids[1]
        started = time.monotonic()
        stored = platform.wait_rows(
            "SELECT count() FROM agentstate.otel_traces WHERE ProjectId = {p:String}", {"p": project}, 15, timeout=20
        )
        took = time.monotonic() - started
        dead: list[bytes] = []
        deadline = time.monotonic() + 10
        while poison_id not in dead and time.monotonic() < deadline:
            dead = [f[b"id"] for _, f in r.xrange(dead_letter(SPANS_STREAM)) if f.get(b"id") in ids]
            time.sleep(0.1)
        reasons = [f[b"reason"] for _, f in r.xrange(dead_letter(SPANS_STREAM)) if f.get(b"id") == poison_id]
    finally:
        r.close()
    assert stored == 15, f"valid spans of {project} not stored (got {stored})"
    assert took < 15, f"storing the valid spans took {took:.1f} s"
    assert dead == [poison_id], "only the poison entry may be dead-lettered"
    assert reasons and reasons[0], "the dead-letter entry carries its reason"
    # exactly once: the raw (un-merged) count equals the distinct spans, nothing was inserted twice
    time.sleep(1.5)
    assert platform.query(
        "SELECT count(), uniqExact(SpanId) FROM agentstate.otel_traces WHERE ProjectId = {p:String}", {"p": project}
    ) == [(15, 15)]


def _send(platform: Platform, transport: str, key: str, body: bytes) -> tuple[int, str]:
    """Send a trace request; return ``(rejected_spans, error_message)`` of the 200 answer."""
    import grpc
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

    from tests.integration.test_ingest import _post

    if transport == "grpc":
        channel = grpc.insecure_channel(platform.otlp_grpc_target)
        try:
            export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
            reply = ExportTraceServiceResponse.FromString(export(body, metadata=(("x-api-key", key),), timeout=5))
        finally:
            channel.close()
        return reply.partial_success.rejected_spans, reply.partial_success.error_message
    if transport == "json":
        req = ExportTraceServiceRequest.FromString(body)
        spans = [
            {
                "traceId": s.trace_id.hex(),
                "spanId": s.span_id.hex(),
                "name": s.name,
                "startTimeUnixNano": str(s.start_time_unix_nano),
                "endTimeUnixNano": str(s.end_time_unix_nano),
            }
            for s in req.resource_spans[0].scope_spans[0].spans
        ]
        doc = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
        code, raw, _ = _post(
            platform.otlp_http_url + "/v1/traces",
            json.dumps(doc).encode(),
            {"Content-Type": "application/json", "x-api-key": key},
        )
        assert code == 200, raw
        partial = json.loads(raw).get("partialSuccess", {})
        return int(partial.get("rejectedSpans", 0)), partial.get("errorMessage", "")
    code, raw, _ = _post(
        platform.otlp_http_url + "/v1/traces", body, {"Content-Type": "application/x-protobuf", "x-api-key": key}
    )
    assert code == 200, raw
    reply = ExportTraceServiceResponse.FromString(raw)
    return reply.partial_success.rejected_spans, reply.partial_success.error_message


@pytest.mark.parametrize("transport", ["protobuf", "json", "grpc"])
def test_receiver_rejects_unstorable_times_and_keeps_the_rest(platform: Platform, transport: str) -> None:
    project, key = platform.new_project()
    base = int(time.time() * 1000) % 10**9 * 10 + 7
    req = ExportTraceServiceRequest.FromString(_request(base, 3))
    spans = req.resource_spans[0].scope_spans[0].spans
    spans[1].start_time_unix_nano = spans[1].end_time_unix_nano = MAX_U64
    spans[2].start_time_unix_nano = spans[2].end_time_unix_nano = 4_339_000_000 * 10**9  # year 2107
    rejected, message = _send(platform, transport, key, req.SerializeToString())
    assert rejected == 2 and "after 2100-01-01" in message
    assert (
        platform.wait_rows(
            "SELECT count() FROM agentstate.otel_traces WHERE ProjectId = {p:String}", {"p": project}, 1, timeout=20
        )
        == 1
    )
    time.sleep(1.5)  # nothing else arrives later
    assert platform.query(
        "SELECT SpanName FROM agentstate.otel_traces WHERE ProjectId = {p:String}", {"p": project}
    ) == [("op-0",)]


def _logs(n: int, time_ns: int | None = None) -> bytes:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    req = ExportLogsServiceRequest()
    records = req.resource_logs.add().scope_logs.add().log_records
    for i in range(n):
        rec = records.add(time_unix_nano=time.time_ns() if time_ns is None else time_ns)
        rec.body.string_value = f"line {i}"
    return req.SerializeToString()


def test_poison_log_entry_is_dead_lettered_alone(platform: Platform) -> None:
    from agentstate.semconv.streams import LOGS_STREAM

    project, _ = platform.new_project()
    r = redis.Redis.from_url(platform.redis_url)
    try:
        pipe = r.pipeline(transaction=True)
        pipe.xadd(LOGS_STREAM, {b"p": project, b"b": _logs(3), b"n": 3})
        pipe.xadd(LOGS_STREAM, {b"p": "poisoner", b"b": _logs(1, MAX_U64), b"n": 1})
        pipe.xadd(LOGS_STREAM, {b"p": project, b"b": _logs(4), b"n": 4})
        ids = pipe.execute()
        stored = platform.wait_rows(
            "SELECT count() FROM agentstate.otel_logs WHERE ProjectId = {p:String}", {"p": project}, 7, timeout=20
        )
        deadline = time.monotonic() + 10
        dead: list[bytes] = []
        while ids[1] not in dead and time.monotonic() < deadline:
            dead = [f[b"id"] for _, f in r.xrange(dead_letter(LOGS_STREAM)) if f.get(b"id") in ids]
            time.sleep(0.1)
    finally:
        r.close()
    assert stored == 7
    assert dead == [ids[1]]
