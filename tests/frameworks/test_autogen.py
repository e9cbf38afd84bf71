"""AutoGen AssistantAgent through ``init()``: AutoGen's own GenAI spans on the global provider,
the OpenAI client's ``chat`` spans under ``invoke_agent``, tool arguments/results from our hook."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("autogen_agentchat")
pytest.importorskip("autogen_ext.models.openai")

from examples import autogen_agent
from tests.frameworks.conftest import Spans, attrs, one, tree
from tests.frameworks.fake_llm import MODEL_REPLY, USAGE, FakeLLMServer

EXPECTED_TREE = [
    "create_agent weather_agent",
    "invoke_agent weather_agent",
    "  chat gpt-4o-mini",
    "  execute_tool get_weather",
    "  chat gpt-4o-mini",
]


async def test_assistant_with_tool(fake_llm: FakeLLMServer, spans: Spans) -> None:
    agent = autogen_agent.build(fake_llm.base_url)
    assert await autogen_agent.run(agent, "What is the weather in Paris?") == MODEL_REPLY
    got = spans.get()
    assert tree(got) == EXPECTED_TREE
    invoke = one(got, "invoke_agent weather_agent")
    assert attrs(invoke)["gen_ai.agent.name"] == "weather_agent"
    tool = attrs(one(got, "execute_tool get_weather"))
    assert tool["gen_ai.tool.name"] == "get_weather"
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert tool["gen_ai.tool.call.result"] == "Sunny, 21 °C in Paris"
    chat = attrs(next(s for s in got if s.name == "chat gpt-4o-mini"))
    assert chat["gen_ai.request.model"] == "gpt-4o-mini"
    assert chat["gen_ai.usage.input_tokens"] == USAGE["input"]
    assert chat["gen_ai.usage.cache_read.input_tokens"] == USAGE["cached"]
