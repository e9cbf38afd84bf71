"""The Python SDK against the real platform: ``@observe`` → receiver → ClickHouse, the offline
spool across ``kill -9``, and a plain OpenTelemetry application without ``agentstate``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

import agentstate
from agentstate import llm_call, observe, propagate_attributes
from tests.conftest import SECRET, Platform, Receiver, free_port, spawn, stop_proc, wait_http

COUNT = "SELECT count() FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String}"
CRASH_APP = Path(__file__).resolve().parents[1] / "sdk" / "crash_app.py"


@pytest.fixture
def sdk_shutdown() -> Iterator[None]:
    yield
    agentstate.shutdown()


def _rows(platform: Platform, project: str) -> dict[str, dict[str, Any]]:
    rows = platform.query(
        "SELECT SpanName, SpanId, ParentSpanId, TraceId, SpanKind, StatusCode, ServiceName, SpanAttributes, "
        "SessionId, UserId, AgentName, ToolName, GenAiOperation, GenAiRequestModel, InputTokens, OutputTokens, "
        "CacheReadTokens FROM agentstate.otel_traces FINAL WHERE ProjectId = {p:String}",
        {"p": project},
    )
    names = ("name", "span_id", "parent", "trace_id", "kind", "status", "service", "attrs", "session", "user",
             "agent", "tool", "operation", "model", "input_tokens", "output_tokens", "cache_read")  # fmt: skip
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


def test_observe_spans_land_in_clickhouse_as_a_tree(platform: Platform, tmp_path: Path, sdk_shutdown: None) -> None:
    project, key = platform.new_project()
    provider = TracerProvider(resource=Resource.create({"service.name": "sdk-e2e"}))
    agentstate.init(collector_url=platform.otlp_http_url, api_key=key, tracer_provider=provider, spool_dir=tmp_path)

    @observe(kind="tool")
    def search(query: str) -> list[str]:
        return [f"result for {query}"]

    @observe(kind="agent", name="planner")
    def plan(question: str) -> str:
        with propagate_attributes(session_id="s-e2e", user_id="u-1", tags=["e2e"]):
            hits = search(question)
            with llm_call("gpt-4o", "openai", input_messages=question) as call:
                call.record(output_messages="ok", input_tokens=12, output_tokens=3, cache_read_tokens=4)
        return f"{len(hits)} hit"

    assert plan("trip for jane.doe@example.com") == "1 hit"
    agentstate.shutdown()
    assert platform.wait_rows(COUNT, {"p": project}, 3) == 3
    spans = _rows(platform, project)
    root, tool, chat = spans["invoke_agent planner"], spans["execute_tool search"], spans["chat gpt-4o"]
    assert root["parent"] == ""
    assert (tool["parent"], chat["parent"]) == (root["span_id"], root["span_id"])
    assert {s["trace_id"] for s in spans.values()} == {root["trace_id"]}
    assert (root["kind"], tool["kind"], chat["kind"]) == ("Internal", "Internal", "Client")
    assert {s["service"] for s in spans.values()} == {"sdk-e2e"}
    assert {s["session"] for s in spans.values()} == {"s-e2e"}
    assert {s["user"] for s in spans.values()} == {"u-1"}
    assert (root["agent"], root["operation"]) == ("planner", "invoke_agent")
    assert (tool["tool"], tool["operation"]) == ("search", "execute_tool")
    assert (chat["model"], chat["input_tokens"], chat["output_tokens"], chat["cache_read"]) == ("gpt-4o", 12, 3, 4)
    assert [s["attrs"]["agentstate.span.kind"] for s in (root, tool, chat)] == ["agent", "tool", "llm"]
    assert root["attrs"]["agentstate.tags"] == '["e2e"]'
    assert root["attrs"]["input.value"] == '{"question":"trip for [REDACTED:EMAIL]"}'
    assert tool["attrs"]["gen_ai.tool.call.result"] == '["result for trip for [REDACTED:EMAIL]"]'


def _receiver_on(port: int, platform: Platform, log_dir: Path) -> Receiver:
    """A second receiver on ``port`` (where the app's spool is addressed), on the platform's Redis."""
    env = {**os.environ, "AGENTSTATE_REDIS_URL": platform.redis_url, "AGENTSTATE_SECRET_KEY": SECRET,
           "AGENTSTATE_HTTP_PORT": str(port), "AGENTSTATE_GRPC_PORT": str(free_port()),
           "AGENTSTATE_KEY_CACHE_SECONDS": "1"}  # fmt: skip
    log = log_dir / f"receiver-{port}.log"
    proc = spawn(["receiver"], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/readyz")
    except TimeoutError:
        stop_proc(proc)
        raise AssertionError(log.read_text()) from None
    return Receiver(proc, url, "", env, log)


def _crash_app(url: str, spool: Path, key: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTSTATE_", "OTEL_"))}
    env["CRASH_APP_API_KEY"] = key
    return subprocess.Popen(
        [sys.executable, str(CRASH_APP), url, str(spool), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_spool_survives_kill_9_and_delivers_every_span_once(platform: Platform, tmp_path: Path) -> None:
    project, key = platform.new_project()
    port = free_port()  # the receiver for this app is down: nothing listens here yet
    url, spool = f"http://127.0.0.1:{port}", tmp_path / "spool"
    app = _crash_app(url, spool, key, "emit", "5000")
    try:
        stats = json.loads(app.stdout.readline() if app.stdout else "{}")
        assert stats["spans_spooled"] == 5000, stats
        os.kill(app.pid, signal.SIGKILL)
    finally:
        if app.poll() is None:
            app.kill()
        app.communicate(timeout=10)
    receiver = _receiver_on(port, platform, tmp_path)
    try:
        again = _crash_app(url, spool, key, "drain")
        out, err = again.communicate(timeout=120)
        assert json.loads(out.strip().splitlines()[-1])["spans_replayed"] == 5000, err
        # No FINAL: a span replayed twice is two rows until a merge, and must count twice here.
        distinct = "SELECT uniqExact(SpanId) FROM agentstate.otel_traces WHERE ProjectId = {p:String}"
        assert platform.wait_rows(distinct, {"p": project}, 5000, timeout=60) == 5000
        total, unique = platform.query(
            "SELECT count(), uniqExact(SpanId) FROM agentstate.otel_traces WHERE ProjectId = {p:String}",
            {"p": project},
        )[0]
        assert (total, unique) == (5000, 5000)
    finally:
        stop_proc(receiver.proc)


PLAIN_OTEL_APP = textwrap.dedent(
    """
    import sys
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    url, key = sys.argv[1], sys.argv[2]
    provider = TracerProvider(resource=Resource.create({"service.name": "plain-otel"}))
    exporter = OTLPSpanExporter(endpoint=url + "/v1/traces", headers={"Authorization": "Bearer " + key})
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("plain")
    with tracer.start_as_current_span("invoke_agent plain") as root:
        root.set_attribute("gen_ai.operation.name", "invoke_agent")
        with tracer.start_as_current_span("chat gpt-4o-mini") as chat:
            chat.set_attributes({"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 7})
    provider.shutdown()
    assert not any(name == "agentstate" or name.startswith("agentstate.") for name in sys.modules)
    """
)


def test_a_plain_opentelemetry_app_reaches_the_platform(platform: Platform) -> None:
    project, key = platform.new_project()
    done = subprocess.run(
        [sys.executable, "-c", PLAIN_OTEL_APP, platform.otlp_http_url, key],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("AGENTSTATE_", "OTEL_"))},
    )
    assert done.returncode == 0, done.stderr
    assert platform.wait_rows(COUNT, {"p": project}, 2) == 2
    spans = _rows(platform, project)
    assert spans["chat gpt-4o-mini"]["parent"] == spans["invoke_agent plain"]["span_id"]
    assert (spans["chat gpt-4o-mini"]["model"], spans["chat gpt-4o-mini"]["input_tokens"]) == ("gpt-4o-mini", 7)
    assert {s["service"] for s in spans.values()} == {"plain-otel"}
