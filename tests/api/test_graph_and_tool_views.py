"""Graph-level spans show the messages that reached them, and tool spans of every dialect get the
tool view (arguments and result), read back through the API from spans stored by the writer.

The OpenInference attributes are the ones its LangChain instrumentation writes for a LangGraph ReAct
agent whose state starts with a system prompt (``llm.input_messages`` flattens only the state's first
message, so the question was dropped).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.api import otlp
from tests.api.conftest import Api

QUESTION = "What is the weather in Paris?"


def _lc(kind: str, **data: Any) -> dict[str, Any]:
    """A LangChain message as ``message_to_dict`` writes it (OpenInference's ``input.value``)."""
    return {"type": kind, "data": {"type": kind, "additional_kwargs": {}, "response_metadata": {}, **data}}


SYSTEM = _lc("system", content="You are a weather bot.")
USER = _lc("human", content=QUESTION)
CALL = _lc("ai", content="", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}])
TOOL = _lc("tool", content="Sunny, 21 °C in Paris", tool_call_id="call_1", name="get_weather")
ANSWER = _lc("ai", content="It is sunny.")


def _graph_trace(tid: str, start: int) -> list[otlp.Span]:
    first_only = {
        "llm.input_messages.0.message.role": "system",
        "llm.input_messages.0.message.content": "You are a weather bot.",
    }
    graph = otlp.Span(
        "LangGraph",
        tid,
        start_ns=start,
        duration_ns=40_000_000,
        attributes={
            "openinference.span.kind": "CHAIN",
            "input.value": json.dumps({"messages": [SYSTEM, USER]}),
            "output.value": json.dumps({"messages": [SYSTEM, USER, CALL, TOOL, ANSWER]}),
            **first_only,
        },
    )
    node = otlp.Span(
        "agent",
        tid,
        parent=graph.span_id,
        start_ns=start + 1_000_000,
        duration_ns=5_000_000,
        attributes={
            "openinference.span.kind": "AGENT",
            "input.value": json.dumps({"messages": [SYSTEM, USER], "remaining_steps": 24}),
            "output.value": json.dumps({"messages": [CALL]}),
            **first_only,
        },
    )
    tool = otlp.Span(
        "get_weather",
        tid,
        parent=graph.span_id,
        start_ns=start + 10_000_000,
        attributes={
            "openinference.span.kind": "TOOL",
            "tool.name": "get_weather",
            "input.value": "Paris",
            "output.value": json.dumps(TOOL),
        },
    )
    openllmetry_tool = otlp.Span(
        "get_time.tool",
        tid,
        parent=graph.span_id,
        start_ns=start + 20_000_000,
        attributes={
            "traceloop.span.kind": "tool",
            "traceloop.entity.name": "get_time",
            "traceloop.entity.input": json.dumps({"inputs": {"city": "Paris"}}),
            "traceloop.entity.output": json.dumps({"outputs": "12:00"}),
        },
    )
    vercel_tool = otlp.Span(
        "ai.toolCall",
        tid,
        parent=graph.span_id,
        start_ns=start + 30_000_000,
        attributes={
            "ai.operationId": "ai.toolCall",
            "ai.toolCall.name": "get_rain",
            "ai.toolCall.args": json.dumps({"city": "Paris"}),
            "ai.toolCall.result": json.dumps({"mm": 0}),
        },
    )
    return [graph, node, tool, openllmetry_tool, vercel_tool]


@pytest.fixture(scope="module")
def graph_trace(api: Api) -> str:
    project = api.new_project("graphs")
    tid = otlp.new_trace_id()
    api.ingest(api.new_key(project), _graph_trace(tid, time.time_ns()), service="graph-app")
    api.wait_spans(project, 5)
    return tid


def _get(api: Api, path: str) -> Any:
    with api.http(api.admin) as c:
        r = c.get(path)
    assert r.status_code == 200, r.text
    return r.json()


def test_graph_and_node_spans_show_the_question(api: Api, graph_trace: str) -> None:
    spans = {s["name"]: s["genai"] for s in _get(api, f"/traces/{graph_trace}")["spans"]}
    graph, node = spans["LangGraph"], spans["agent"]
    assert (
        graph["input_messages"]
        == node["input_messages"]
        == [
            {"role": "system", "content": "You are a weather bot."},
            {"role": "user", "content": QUESTION},
        ]
    )
    # the node's output is its new message; the graph's, what the run added to the state
    call = {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
        ],
    }
    assert node["output_messages"] == [call]
    assert [m["role"] for m in graph["output_messages"]] == ["assistant", "tool", "assistant"]
    assert graph["output_messages"][1]["tool_call_id"] == "call_1"


@pytest.mark.parametrize(
    ("name", "tool", "arguments", "result"),
    [
        pytest.param("get_weather", "get_weather", "Paris", "Sunny, 21 °C in Paris", id="openinference"),
        pytest.param(
            "get_time.tool", "get_time", {"inputs": {"city": "Paris"}}, {"outputs": "12:00"}, id="openllmetry"
        ),
        pytest.param("ai.toolCall", "get_rain", {"city": "Paris"}, {"mm": 0}, id="vercel"),
    ],
)
def test_tool_spans_of_every_dialect_get_the_tool_view(
    api: Api, graph_trace: str, name: str, tool: str, arguments: Any, result: Any
) -> None:
    span = next(s for s in _get(api, f"/traces/{graph_trace}")["spans"] if s["name"] == name)
    g = span["genai"]
    assert (g["operation"], g["tool_name"], g["tool_arguments"], g["tool_result"]) == (
        "execute_tool",
        tool,
        arguments,
        result,
    )
    step = next(s for s in _get(api, f"/traces/{graph_trace}/steps")["steps"] if s["name"] == name)
    assert (step["type"], step["tool_arguments"], step["tool_result"]) == ("tool", arguments, result)


def test_steps_of_graph_spans_carry_the_question(api: Api, graph_trace: str) -> None:
    steps = _get(api, f"/traces/{graph_trace}/steps")["steps"]
    assert [s["name"] for s in steps[:2]] == ["LangGraph", "agent"]
    for step in steps[:2]:
        assert {"role": "user", "content": QUESTION} in step["input_messages"]
