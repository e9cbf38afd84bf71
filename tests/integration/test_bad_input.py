"""Bad input gets the right status and a readable message; nothing reaches Redis or ClickHouse."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable

import grpc
import pytest
import redis
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.conftest import Platform, shared_file
from tests.integration.test_ingest import _post

LIMIT = 5 * 1024 * 1024


def _entries_added(platform: Platform) -> int:
    r = redis.Redis.from_url(platform.redis_url)
    try:
        return int(r.xinfo_stream("spans.ingest")["entries-added"])
    finally:
        r.close()


def _span_json(trace_id: str | None, span_id: str = "b7ad6b7169203331", pad: int = 0) -> bytes:
    span: dict[str, object] = {
        "spanId": span_id,
        "name": "x" * max(1, pad),
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
    }
    if trace_id is not None:
        span["traceId"] = trace_id
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()


def _logs_body() -> bytes:
    return shared_file("otlp", "opentelemetry-proto_examples_logs.json").read_bytes()


def _bomb() -> bytes:
    return gzip.compress(b"\0" * (64 * 1024 * 1024))


def _just_over() -> bytes:
    body = _span_json("0af7651916cd43dd8448eb211c80319c")
    return _span_json("0af7651916cd43dd8448eb211c80319c", pad=LIMIT - len(body) + 2)


Case = tuple[Callable[[], bytes], dict[str, str], int, str]
JSON_H = {"Content-Type": "application/json"}
PB_H = {"Content-Type": "application/x-protobuf"}
CASES: dict[str, Case] = {
    "garbage-protobuf": (lambda: b"\x0a\xff\xff\xff\xff\x0f garbage", PB_H, 400, "malformed protobuf"),
    "garbage-json": (lambda: b"{not json", JSON_H, 400, "malformed JSON"),
    "logs-body-to-traces": (_logs_body, JSON_H, 400, "resourceSpans"),
    "wrong-content-type": (lambda: b"hello", {"Content-Type": "text/plain"}, 415, "Content-Type"),
    "gzip-bomb": (_bomb, {**PB_H, "Content-Encoding": "gzip"}, 413, "exceeds"),
    "just-over-limit": (_just_over, JSON_H, 413, "exceeds"),
    "short-trace-id": (lambda: _span_json("abcdef"), JSON_H, 400, "trace_id must be 16"),
    "long-span-id": (lambda: _span_json("0af7651916cd43dd8448eb211c80319c", "00" * 9), JSON_H, 400, "span_id"),
    "no-trace-id": (lambda: _span_json(None), JSON_H, 400, "trace_id"),
    "unknown-encoding": (lambda: b"x", {**PB_H, "Content-Encoding": "zstd"}, 415, "Content-Encoding"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_bodies(platform: Platform, case: str) -> None:
    make, headers, status, fragment = CASES[case]
    project, key = platform.new_project()
    before = _entries_added(platform)
    started = time.monotonic()
    code, body, resp_headers = _post(
        platform.otlp_http_url + "/v1/traces", make(), {**headers, "Authorization": f"Bearer {key}"}
    )
    assert time.monotonic() - started < 5
    assert code == status
    if resp_headers.get("content-type", "").startswith("application/json"):
        message = json.loads(body)["message"]
    else:
        message = status_pb2.Status.FromString(body).message
    assert fragment in message
    assert _entries_added(platform) == before
    assert (
        platform.query("SELECT count() FROM agentstate.otel_traces WHERE ProjectId = {p:String}", {"p": project})[0][0]
        == 0
    )
    code, _, _ = _post(platform.otlp_http_url.replace("/v1/traces", "") + "/healthz", b"", {})
    assert code in (200, 405)


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        pytest.param({}, "missing API key", id="no-key"),
        pytest.param({"Authorization": "Bearer as_deadbeef_wrong"}, "invalid", id="wrong-key"),
        pytest.param({"Authorization": "Basic Zm9vOmJhcg=="}, "missing API key", id="wrong-scheme"),
        pytest.param({"x-api-key": "nope"}, "invalid", id="wrong-x-api-key"),
    ],
)
def test_auth_failures_are_401(platform: Platform, headers: dict[str, str], fragment: str) -> None:
    before = _entries_added(platform)
    code, body, _ = _post(
        platform.otlp_http_url + "/v1/traces", _span_json("0af7651916cd43dd8448eb211c80319c"), {**JSON_H, **headers}
    )
    assert code == 401
    assert fragment in json.loads(body)["message"]
    assert _entries_added(platform) == before


def test_partial_success_reports_rejected_spans(platform: Platform) -> None:
    project, key = platform.new_project()
    good = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "1111111111111111",
        "name": "ok",
        "startTimeUnixNano": "1",
        "endTimeUnixNano": "2",
    }
    bad = {**good, "spanId": "12", "name": "bad"}
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [good, bad]}]}]}).encode()
    code, reply, _ = _post(platform.otlp_http_url + "/v1/traces", body, {**JSON_H, "x-api-key": key})
    assert code == 200
    partial = json.loads(reply)["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "span_id" in partial["errorMessage"]
    assert (
        platform.wait_rows("SELECT count() FROM agentstate.otel_traces WHERE ProjectId = {p:String}", {"p": project}, 1)
        == 1
    )


def test_grpc_errors(platform: Platform) -> None:
    _, key = platform.new_project()
    channel = grpc.insecure_channel(platform.otlp_grpc_target)
    export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
    req = ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, "ok"
    with pytest.raises(grpc.RpcError) as err:
        export(req.SerializeToString(), metadata=(), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as err:
        export(b"\xff\xff\xff garbage", metadata=(("x-api-key", key),), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    span.trace_id = b"\x01" * 3
    with pytest.raises(grpc.RpcError) as err:
        export(req.SerializeToString(), metadata=(("authorization", f"Bearer {key}"),), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "trace_id" in (err.value.details() or "")
    channel.close()


def test_revoked_key_stops_working_within_cache_ttl(platform: Platform) -> None:
    from agentstate.semconv.apikeys import hash_key
    from agentstate.semconv.streams import API_KEYS_HASH
    from tests.conftest import SECRET

    _, key = platform.new_project()
    body = _span_json("0af7651916cd43dd8448eb211c80319c")
    assert _post(platform.otlp_http_url + "/v1/traces", body, {**JSON_H, "x-api-key": key})[0] == 200
    r = redis.Redis.from_url(platform.redis_url)
    r.hdel(API_KEYS_HASH, hash_key(key, SECRET.encode()))
    r.close()
    deadline = time.monotonic() + 5  # the fixture's receiver caches keys for 1 s
    code = 200
    while time.monotonic() < deadline and code == 200:
        code = _post(platform.otlp_http_url + "/v1/traces", body, {**JSON_H, "x-api-key": key})[0]
        time.sleep(0.2)
    assert code == 401
