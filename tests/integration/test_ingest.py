"""Spans from real OTLP clients and real-world OTLP/JSON files land in otel_traces, exactly."""

from __future__ import annotations

import gzip
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from tests.conftest import Platform, shared_file

COUNT = "SELECT count() FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String}"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as err:
        return err.code, err.read(), {k.lower(): v for k, v in err.headers.items()}


def _emit(provider: TracerProvider) -> list[ReadableSpan]:
    """A small agent-shaped trace with every field kind: kinds, status, events, links, attributes."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.ingest", "1.2.3")
    with tracer.start_as_current_span("invoke_agent planner", kind=SpanKind.SERVER) as root:
        root.set_attributes(
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "planner",
                "session.id": "s-1",
                "user.id": "u-1",
                "flag": True,
                "ratio": 0.25,
                "count": 42,
                "tags": ["a", "b"],
            }
        )
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as chat:
            chat.set_attributes(
                {
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.input_tokens": 120,
                    "gen_ai.usage.output_tokens": 30,
                    "gen_ai.provider.name": "openai",
                }
            )
            chat.add_event("gen_ai.choice", {"index": 0, "finish_reason": "stop"})
        link = Link(root.get_span_context(), {"link.kind": "follows"})
        with tracer.start_as_current_span("execute_tool search", links=[link]) as tool:
            tool.set_status(Status(StatusCode.ERROR, "tool timed out"))
            tool.record_exception(TimeoutError("slow"))
    provider.force_flush()
    return list(memory.get_finished_spans())


def _check_rows(platform: Platform, project: str, spans: list[ReadableSpan]) -> None:
    rows = platform.client.query(
        "SELECT SpanId, TraceId, ParentSpanId, SpanName, SpanKind, StatusCode, StatusMessage, ServiceName, "
        "ScopeName, ScopeVersion, SpanAttributes, Events.Name, Events.Attributes, Links.SpanId, "
        "Links.Attributes, toUnixTimestamp64Nano(Timestamp), Duration, `Events.Timestamp` "
        "FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String}",
        parameters={"p": project},
    ).result_rows
    by_id = {r[0]: r for r in rows}
    assert len(by_id) == len(spans) == len(rows)
    kinds = {SpanKind.SERVER: "Server", SpanKind.CLIENT: "Client", SpanKind.INTERNAL: "Internal"}
    for s in spans:
        ctx = s.get_span_context()
        row = by_id[f"{ctx.span_id:016x}"]
        assert row[1] == f"{ctx.trace_id:032x}"
        assert row[2] == (f"{s.parent.span_id:016x}" if s.parent else "")
        assert row[3] == s.name
        assert row[4] == kinds[s.kind]
        codes = {StatusCode.UNSET: "Unset", StatusCode.OK: "Ok", StatusCode.ERROR: "Error"}
        assert row[5] == codes[s.status.status_code]
        assert row[6] == (s.status.description or "")
        assert row[7] == "ingest-test"
        assert (row[8], row[9]) == ("tests.ingest", "1.2.3")
        expected_attrs = {k: _as_string(v) for k, v in (s.attributes or {}).items()}
        assert row[10] == expected_attrs
        assert list(row[11]) == [e.name for e in s.events]
        assert [dict(a) for a in row[12]] == [
            {k: _as_string(v) for k, v in (e.attributes or {}).items()} for e in s.events
        ]
        assert list(row[13]) == [f"{ln.context.span_id:016x}" for ln in s.links]
        assert [dict(a) for a in row[14]] == [
            {k: _as_string(v) for k, v in (ln.attributes or {}).items()} for ln in s.links
        ]
        assert row[15] == s.start_time
        assert row[16] == s.end_time - s.start_time
        assert len(row[17]) == len(s.events)


def _as_string(v: Any) -> str:
    """The collector's Value.AsString()."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return json.dumps(list(v), separators=(",", ":"))
    return str(v)


@pytest.mark.parametrize("transport", ["http-protobuf", "http-protobuf-gzip", "grpc", "grpc-gzip"])
def test_official_exporters_deliver_every_field(platform: Platform, transport: str) -> None:
    project, key = platform.new_project()
    provider = TracerProvider(resource=Resource.create({"service.name": "ingest-test"}))
    exporter: Any
    if transport.startswith("http"):
        comp = Compression.Gzip if transport.endswith("gzip") else Compression.NoCompression
        exporter = HttpExporter(
            endpoint=platform.otlp_http_url + "/v1/traces", headers={"Authorization": f"Bearer {key}"}, compression=comp
        )
    else:
        comp_g = grpc.Compression.Gzip if transport.endswith("gzip") else grpc.Compression.NoCompression
        exporter = GrpcExporter(
            endpoint=platform.otlp_grpc_target, insecure=True, headers={"x-api-key": key}, compression=comp_g
        )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    spans = _emit(provider)
    provider.shutdown()
    assert platform.wait_rows(COUNT, {"p": project}, len(spans)) == len(spans)
    _check_rows(platform, project, spans)


def _otlp_json_span_ids(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                out.append((s["traceId"].lower(), s["spanId"].lower(), s.get("parentSpanId", "").lower()))
    return out


@pytest.mark.parametrize("name", ["opentelemetry-proto_examples_trace.json", "vercel_v6_spans_as_otlp.json"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_shared_otlp_json_files(platform: Platform, name: str, gz: bool) -> None:
    path: Path = shared_file("otlp", name)
    body = path.read_bytes()
    doc = json.loads(body)
    expected = _otlp_json_span_ids(doc)
    project, key = platform.new_project()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    if gz:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    status, reply, _ = _post(platform.otlp_http_url + "/v1/traces", body, headers)
    assert status == 200, reply
    assert json.loads(reply) == {}
    assert platform.wait_rows(COUNT, {"p": project}, len(expected)) == len(expected)
    rows = platform.query(
        "SELECT TraceId, SpanId, ParentSpanId FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String}",
        {"p": project},
    )
    assert sorted(rows) == sorted(expected)
    # attribute values survive: every string attribute of the file is stored verbatim
    attrs = platform.query(
        "SELECT SpanId, SpanAttributes FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String}", {"p": project}
    )
    stored = {sid: a for sid, a in attrs}
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                for kv in s.get("attributes", []):
                    if "stringValue" in kv["value"]:
                        assert stored[s["spanId"].lower()][kv["key"]] == kv["value"]["stringValue"]


def test_demo_genai_columns_are_normalised(platform: Platform) -> None:
    from agentstate.cli.demo import run_demo
    from agentstate.cli.demo_agent import SERVICE_NAME

    project, key = platform.new_project()
    assert run_demo(platform.otlp_http_url, key, traces=2) == 0
    assert platform.wait_rows(COUNT, {"p": project}, 8) == 8
    rows = platform.query(
        "SELECT GenAiOperation, count(), sum(InputTokens) > 0, any(GenAiProvider), uniqExact(SessionId) "
        "FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String} GROUP BY GenAiOperation "
        "ORDER BY GenAiOperation",
        {"p": project},
    )
    assert [(r[0], r[1]) for r in rows] == [("chat", 4), ("execute_tool", 2), ("invoke_agent", 2)]
    chat = rows[0]
    assert chat[2] == 1 and chat[3] == "openai"
    # the spans are the example agent's: its service name, and tools it ran with the arguments
    # its (scripted) model chose from each question
    tools = platform.query(
        "SELECT ServiceName, SpanName, SpanAttributes['gen_ai.tool.call.arguments'] FROM agentstate.otel_traces "
        "FINAL WHERE ProjectId = {p:String} AND GenAiOperation = 'execute_tool' ORDER BY Timestamp",
        {"p": project},
    )
    assert [(r[0], r[1], json.loads(r[2])) for r in tools] == [
        (SERVICE_NAME, "execute_tool get_weather", {"city": "Paris"}),
        (SERVICE_NAME, "execute_tool book_restaurant", {"people": 2, "time": "20:00"}),
    ]


def test_logs_are_stored_in_otel_logs(platform: Platform) -> None:
    path = shared_file("otlp", "opentelemetry-proto_examples_logs.json")
    project, key = platform.new_project()
    status, reply, _ = _post(
        platform.otlp_http_url + "/v1/logs", path.read_bytes(), {"Content-Type": "application/json", "x-api-key": key}
    )
    assert status == 200, reply
    n = platform.wait_rows("SELECT count() FROM agentstate.otel_logs WHERE ProjectId = {p:String}", {"p": project}, 1)
    assert n == 1
    (body, trace_id, svc) = platform.query(
        "SELECT Body, TraceId, ServiceName FROM agentstate.otel_logs WHERE ProjectId = {p:String}", {"p": project}
    )[0]
    doc = json.loads(path.read_bytes())
    rec = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    assert trace_id == rec["traceId"].lower()
    assert body == rec["body"]["stringValue"]
    assert svc == "my.service"


def test_project_comes_from_key_not_payload(platform: Platform) -> None:
    victim, _ = platform.new_project()
    attacker, key = platform.new_project()
    body = json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {
                        "attributes": [
                            {"key": "project_id", "value": {"stringValue": victim}},
                            {"key": "agentstate.project", "value": {"stringValue": victim}},
                        ]
                    },
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": "0af7651916cd43dd8448eb211c80319c",
                                    "spanId": "b7ad6b7169203331",
                                    "name": "claims-other-project",
                                    "startTimeUnixNano": str(time.time_ns()),
                                    "endTimeUnixNano": str(time.time_ns() + 1000),
                                }
                            ]
                        }
                    ],
                }
            ]
        }
    ).encode()
    status, reply, _ = _post(
        platform.otlp_http_url + "/v1/traces",
        body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    assert status == 200, reply
    assert platform.wait_rows(COUNT, {"p": attacker}, 1) == 1
    assert platform.query(COUNT, {"p": victim})[0][0] == 0
