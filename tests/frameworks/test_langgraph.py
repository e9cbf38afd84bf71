"""LangGraph ReAct agent through ``init()``: OpenInference's graph/node/LLM/tool spans, with the
OpenAI client's ``chat`` span nested inside the LangChain LLM run (our context hook)."""

from __future__ import annotations

import pytest

pytest.importorskip("langgraph")
pytest.importorskip("langchain_openai")
pytest.importorskip("openinference.instrumentation.langchain")

from examples import langgraph_agent
from tests.frameworks.conftest import Spans, attrs, one, tree
from tests.frameworks.fake_llm import MODEL_REPLY, USAGE, FakeLLMServer

MODEL_TURN = [
    "  agent",
    "    call_model",
    "    RunnableSequence",
    "      Prompt",
    "      ChatOpenAI",
    "    should_continue",
]
# The OpenAI client's own chat span is not recorded inside a LangChain LLM run (it would count the
# tokens twice); an @observe span inside the tool nests under the tool's span.
EXPECTED_TREE = ["weather_agent", *MODEL_TURN, "  tools", "    get_weather", "      fetch_forecast", *MODEL_TURN]


def test_react_agent_tree_tokens_and_tool(fake_llm: FakeLLMServer, spans: Spans) -> None:
    graph = langgraph_agent.build(fake_llm.base_url)
    assert langgraph_agent.run(graph, "What is the weather in Paris?") == MODEL_REPLY
    got = spans.get()
    assert tree(got) == EXPECTED_TREE
    assert len({s.context.trace_id for s in got}) == 1
    llm = attrs(next(s for s in got if s.name == "ChatOpenAI"))
    assert llm["openinference.span.kind"] == "LLM"
    assert llm["llm.model_name"].startswith("gpt-4o-mini")
    assert llm["llm.token_count.prompt"] == USAGE["input"]
    assert llm["llm.token_count.completion"] == USAGE["output"]
    assert llm["llm.token_count.prompt_details.cache_read"] == USAGE["cached"]
    tool = attrs(one(got, "get_weather"))
    assert tool["openinference.span.kind"] == "TOOL"
    assert "Paris" in tool["input.value"]
    assert tool["output.value"].startswith("Sunny, 21 °C in Paris") or "Sunny, 21 °C in Paris" in tool["output.value"]
    root = attrs(one(got, "weather_agent"))
    assert "What is the weather in Paris?" in root["input.value"]
