"""The trace page and the Time Machine on spans whose content is not in GenAI message attributes:
a LangGraph graph and node (OpenInference state in ``input.value``), tool spans of other dialects,
and a chat call whose messages came as OTLP log events (through the real OTel exporters)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.api import otlp
from tests.api.conftest import Api
from tests.api.test_graph_and_tool_views import QUESTION, _graph_trace
from tests.ui.test_pages import _api_url, frames, ok, open_tab, page, texts  # noqa: F401 - fixture re-used


@dataclass
class Traces:
    project: str
    graph: str
    events: str


@pytest.fixture(scope="module")
def traces(api: Api) -> Iterator[Traces]:
    project = api.new_project("ui-genai")
    key = api.new_key(project)
    graph = otlp.new_trace_id()
    api.ingest(key, _graph_trace(graph, time.time_ns()), service="graph-app")
    headers = {"authorization": f"Bearer {key}"}
    base = api.platform.otlp_http_url
    tracers = TracerProvider()
    tracers.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=base + "/v1/traces", headers=headers)))
    loggers = LoggerProvider()
    loggers.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=base + "/v1/logs", headers=headers))
    )
    logger = loggers.get_logger("opentelemetry.instrumentation.openai_v2")
    with tracers.get_tracer("tests").start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"})
        logger.emit(LogRecord(event_name="gen_ai.user.message", body={"content": QUESTION}))
        answer = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Sunny."}}
        logger.emit(LogRecord(event_name="gen_ai.choice", body=answer))
    events = format(span.get_span_context().trace_id, "032x")
    tracers.shutdown()
    loggers.shutdown()
    api.wait_spans(project, 6)
    db = api.platform.database
    assert (
        api.platform.wait_rows(f"SELECT count() FROM {db}.otel_logs WHERE ProjectId = {{p:String}}", {"p": project}, 2)
        >= 2
    )
    yield Traces(project, graph, events)


def _pick(api: Api, traces: Traces, trace_id: str, name: str) -> tuple[object, str]:
    at = ok(page("trace", api.admin, traces.project, trace_id=trace_id))
    tree = frames(at)[0]
    span_id = tree.loc[tree["span"].str.contains(name, regex=False), "span_id"].iloc[0]
    at.selectbox(key="trace_span_pick").set_value(span_id).run()
    return ok(at), texts(at)


def test_graph_span_shows_the_question_in_its_chat(api: Api, traces: Traces) -> None:
    at, body = _pick(api, traces, traces.graph, "LangGraph")
    assert any(QUESTION.rstrip("?") in str(m.value) for m in at.markdown), body
    assert len(at.chat_message) == 5  # system, user; then what the run added: tool call, tool result, answer


def test_tool_spans_open_on_the_tool_view(api: Api, traces: Traces) -> None:
    for name, shown in (("get_weather", "Sunny, 21 °C in Paris"), ("ai.toolCall", '"mm"')):
        at, body = _pick(api, traces, traces.graph, name)
        assert open_tab(at) == "Tool"
        assert shown in body or any(shown.strip('"') in str(j.value) for j in at.json), name


def test_events_mode_chat_span_shows_its_conversation(api: Api, traces: Traces) -> None:
    at = ok(page("trace", api.admin, traces.project, trace_id=traces.events))
    assert open_tab(at) == "Chat" and len(at.chat_message) == 2
    assert "Sunny\\." in texts(at)
    tm = ok(page("time_machine", api.admin, traces.project, trace_id=traces.events))
    assert "The LLM was asked" in texts(tm) and len(tm.chat_message) == 2


def test_time_machine_graph_step_shows_its_messages(api: Api, traces: Traces) -> None:
    tm = ok(page("time_machine", api.admin, traces.project, trace_id=traces.graph))
    assert tm.subheader[0].value.startswith("Step 1 of")  # the graph itself
    assert "Messages in" in texts(tm)
    assert any(QUESTION.rstrip("?") in str(m.value) for m in tm.markdown)
