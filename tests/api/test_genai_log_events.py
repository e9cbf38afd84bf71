"""GenAI log events joined to their spans on read: the chat view and the Time Machine show messages a
call sent as OTLP log records (the OpenAI instrumentation's events mode), whichever arrived first.

Spans and log records go through the real OTel SDK and OTLP/HTTP exporters to the real receiver, the
writer stores them in chDB, and the API reads them back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from tests.api.conftest import Api

QUESTION = "What is the weather in Paris?"
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
ANSWER = "Sunny, 21 °C in Paris."


@dataclass
class Pipeline:
    """A real OTel application: spans and logs exported over OTLP/HTTP with the project's key."""

    project: str
    tracer: trace.Tracer
    tracers: TracerProvider
    loggers: LoggerProvider

    def emit(self, event: str, body: Any) -> None:
        """A GenAI event as openai-v2 (v1.30 conventions) emits it, in the current span's context."""
        logger = self.loggers.get_logger("opentelemetry.instrumentation.openai_v2")
        logger.emit(LogRecord(event_name=event, body=body, attributes={"gen_ai.system": "openai"}))


@pytest.fixture
def pipeline(api: Api) -> Iterator[Pipeline]:
    project = api.new_project("events")
    key = api.new_key(project)
    headers = {"authorization": f"Bearer {key}"}
    base = api.platform.otlp_http_url
    resource = Resource.create({"service.name": "events-app"})
    tracers = TracerProvider(resource=resource)
    tracers.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=base + "/v1/traces", headers=headers)))
    loggers = LoggerProvider(resource=resource)
    loggers.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=base + "/v1/logs", headers=headers))
    )
    yield Pipeline(project, tracers.get_tracer("tests"), tracers, loggers)
    tracers.shutdown()
    loggers.shutdown()


def _chat_span(p: Pipeline, name: str) -> Any:
    """A chat span carrying no messages (events mode): model and usage only."""
    span = p.tracer.start_span(name, kind=SpanKind.CLIENT)
    span.set_attributes(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 42,
            "gen_ai.usage.output_tokens": 12,
        }
    )
    return span


def _wait_logs(api: Api, project: str, n: int) -> None:
    db = api.platform.database
    got = api.platform.wait_rows(
        f"SELECT count() FROM {db}.otel_logs WHERE ProjectId = {{p:String}}", {"p": project}, n
    )
    assert got >= n, f"only {got}/{n} log records stored"


def _get(api: Api, path: str) -> Any:
    with api.http(api.admin) as c:
        r = c.get(path)
    assert r.status_code == 200, r.text
    return r.json()


def test_events_show_in_the_chat_view_and_the_time_machine(api: Api, pipeline: Pipeline) -> None:
    p = pipeline
    with p.tracer.start_as_current_span("invoke_agent weather_agent") as root:
        root.set_attribute("gen_ai.operation.name", "invoke_agent")
        first = _chat_span(p, "chat gpt-4o-mini")
        with trace.use_span(first):
            p.emit("gen_ai.system.message", {"content": "You are a weather bot."})
            p.emit("gen_ai.user.message", {"content": QUESTION})
            p.emit(
                "gen_ai.choice",
                {"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "tool_calls": [CALL]}},
            )
        first.end()
        second = _chat_span(p, "chat gpt-4o-mini")
        with trace.use_span(second):
            p.emit("gen_ai.user.message", {"content": QUESTION})
            p.emit("gen_ai.assistant.message", {"tool_calls": [CALL]})
            p.emit("gen_ai.tool.message", {"content": "Sunny, 21 °C", "id": "call_1"})
            p.emit(
                "gen_ai.choice",
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": ANSWER}},
            )
        second.end()
    tid = format(root.get_span_context().trace_id, "032x")
    api.wait_spans(p.project, 3)
    _wait_logs(api, p.project, 7)

    detail = _get(api, f"/traces/{tid}")
    chats = [s for s in detail["spans"] if s["genai"]["operation"] == "chat"]
    assert [s["span_id"] for s in chats] == [format(x.get_span_context().span_id, "016x") for x in (first, second)]
    g1, g2 = chats[0]["genai"], chats[1]["genai"]
    assert g1["input_messages"] == [
        {"role": "system", "parts": [{"type": "text", "content": "You are a weather bot."}]},
        {"role": "user", "parts": [{"type": "text", "content": QUESTION}]},
    ]
    assert g1["output_messages"] == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}],
            "finish_reason": "tool_calls",
        }
    ]
    assert [m["role"] for m in g2["input_messages"]] == ["user", "assistant", "tool"]
    assert g2["input_messages"][2]["parts"] == [
        {"type": "tool_call_response", "id": "call_1", "response": "Sunny, 21 °C"}
    ]
    assert g2["output_messages"][0]["parts"] == [{"type": "text", "content": ANSWER}]
    root_out = next(s for s in detail["spans"] if s["depth"] == 0)
    assert root_out["genai"]["input_messages"] is None  # events join only to their own span

    steps = _get(api, f"/traces/{tid}/steps")["steps"]
    assert [s["type"] for s in steps] == ["agent", "llm", "llm"]
    assert steps[1]["input_messages"] == g1["input_messages"]
    assert steps[1]["output_messages"] == g1["output_messages"]
    assert steps[2]["output_messages"] == g2["output_messages"]
    # the conversation's growth between the two calls, read from events alone
    assert [m["role"] for m in steps[2]["new_messages"]] == ["assistant", "tool"]


def test_events_stored_before_their_span_join_once_it_arrives(api: Api, pipeline: Pipeline) -> None:
    p = pipeline
    span = _chat_span(p, "chat gpt-4o-mini")
    tid = format(span.get_span_context().trace_id, "032x")
    with trace.use_span(span):
        p.emit("gen_ai.user.message", {"content": QUESTION})
        p.emit(
            "gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": ANSWER}}
        )
    _wait_logs(api, p.project, 2)  # the events are stored, the span is still open
    with api.http(api.admin) as c:
        assert c.get(f"/traces/{tid}").status_code == 404
    span.end()
    api.wait_spans(p.project, 1)
    steps = _get(api, f"/traces/{tid}/steps")["steps"]
    assert steps[0]["input_messages"][0]["parts"][0]["content"] == QUESTION
    assert steps[0]["output_messages"][0]["parts"][0]["content"] == ANSWER


def test_span_attributes_win_and_other_traces_events_stay_out(api: Api, pipeline: Pipeline) -> None:
    """A call in ``span_and_event`` mode shows its span's messages once; a log record of another
    trace that names the same span ID is not joined."""
    p = pipeline
    span = _chat_span(p, "chat gpt-4o-mini")
    on_span = [{"role": "user", "parts": [{"type": "text", "content": "from the span"}]}]
    span.set_attribute("gen_ai.input.messages", json.dumps(on_span))
    with trace.use_span(span):
        p.emit("gen_ai.user.message", {"content": "from an event"})
    ctx = span.get_span_context()
    stranger = trace.NonRecordingSpan(
        trace.SpanContext(ctx.trace_id ^ 1, ctx.span_id, is_remote=False, trace_flags=ctx.trace_flags)
    )
    with trace.use_span(stranger):
        p.emit("gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": {"content": "not mine"}})
    span.end()
    api.wait_spans(p.project, 1)
    _wait_logs(api, p.project, 2)
    genai = _get(api, f"/traces/{format(ctx.trace_id, '032x')}")["spans"][0]["genai"]
    assert genai["input_messages"] == on_span
    assert genai["output_messages"] is None


def test_one_event_with_the_whole_call_latest_conventions(api: Api, pipeline: Pipeline) -> None:
    """``gen_ai.client.inference.operation.details``: messages as structured event attributes."""
    p = pipeline
    span = _chat_span(p, "chat gpt-4o-mini")
    inputs = [{"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]
    outputs = [{"role": "assistant", "parts": [{"type": "text", "content": ANSWER}], "finish_reason": "stop"}]
    system = [{"type": "text", "content": "Be brief."}]
    with trace.use_span(span):
        p.loggers.get_logger("opentelemetry.util.genai").emit(
            LogRecord(
                event_name="gen_ai.client.inference.operation.details",
                attributes={
                    "gen_ai.operation.name": "chat",
                    "gen_ai.input.messages": inputs,  # type: ignore[dict-item]
                    "gen_ai.output.messages": outputs,  # type: ignore[dict-item]
                    "gen_ai.system_instructions": system,  # type: ignore[dict-item]
                },
            )
        )
    span.end()
    api.wait_spans(p.project, 1)
    _wait_logs(api, p.project, 1)
    tid = format(span.get_span_context().trace_id, "032x")
    genai = _get(api, f"/traces/{tid}")["spans"][0]["genai"]
    assert (genai["input_messages"], genai["output_messages"], genai["system_instructions"]) == (
        inputs,
        outputs,
        system,
    )
