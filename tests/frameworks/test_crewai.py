"""CrewAI crew through ``init()``: OpenInference's crew/agent/tool spans with the OpenAI client's
``chat`` spans (CrewAI's native OpenAI provider) nested under the agent's task."""

from __future__ import annotations

import pytest

pytest.importorskip("crewai")
pytest.importorskip("openinference.instrumentation.crewai")

from examples import crewai_agent
from tests.frameworks.conftest import Spans, attrs, one, tree
from tests.frameworks.fake_llm import MODEL_REPLY, USAGE, FakeLLMServer

# CrewAI's own Agent construction reads deprecated fields of itself (pydantic warns); the
# warnings come from CrewAI's code, not ours or the instrumentation's
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXPECTED_TREE = [
    "weather_crew.kickoff",
    "  weather_agent._execute_core",
    "    chat gpt-4o-mini",
    "    get_weather.run",
    "    chat gpt-4o-mini",
]


def test_crew_with_tool(fake_llm: FakeLLMServer, spans: Spans) -> None:
    crew = crewai_agent.build(fake_llm.base_url)
    assert crewai_agent.run(crew, "What is the weather in Paris?") == MODEL_REPLY
    got = spans.get()
    assert tree(got) == EXPECTED_TREE
    assert attrs(one(got, "weather_crew.kickoff"))["openinference.span.kind"] == "CHAIN"
    assert attrs(one(got, "weather_agent._execute_core"))["openinference.span.kind"] == "AGENT"
    tool = attrs(one(got, "get_weather.run"))
    assert tool["openinference.span.kind"] == "TOOL"
    assert "Paris" in tool["input.value"]
    assert "Sunny, 21 °C in Paris" in tool["output.value"]
    chat = attrs(next(s for s in got if s.name == "chat gpt-4o-mini"))
    assert chat["gen_ai.request.model"] == "gpt-4o-mini"
    assert chat["gen_ai.usage.input_tokens"] == USAGE["input"]
    assert chat["gen_ai.usage.cache_read.input_tokens"] == USAGE["cached"]
