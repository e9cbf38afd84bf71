"""Anthropic client (sync, async, streaming, tool use) through ``init()``: the SDK's own tracing
(content mode switched on by ``init()``), one span per call under the ``@observe`` agent."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("anthropic")

import anthropic

from examples import anthropic_agent
from tests.frameworks.conftest import Spans, attrs, tree
from tests.frameworks.fake_llm import MODEL_REPLY, USAGE, FakeLLMServer

CHAT = "anthropic.messages.create"  # the SDK's span name
EXPECTED_TREE = ["invoke_agent weather_agent", f"  {CHAT}", "  execute_tool get_weather", f"  {CHAT}"]


def _check(spans: Spans) -> None:
    got = spans.get()
    assert tree(got) == EXPECTED_TREE
    first, second = [s for s in got if s.name == CHAT]
    a = attrs(first)
    assert first.kind.name == "CLIENT"
    assert a["gen_ai.request.model"] == "claude-sonnet-4-5"
    assert a["gen_ai.response.model"] == "claude-sonnet-4-5"
    assert a["gen_ai.provider.name"] == "anthropic"
    assert a["gen_ai.operation.name"] == "chat"
    # input tokens with the cache reads and writes folded in, as OTel defines them
    assert a["gen_ai.usage.input_tokens"] == USAGE["input"]
    assert a["gen_ai.usage.output_tokens"] == USAGE["output"]
    assert a["gen_ai.usage.cache_read.input_tokens"] == USAGE["cached"]
    assert a["gen_ai.usage.cache_write.input_tokens"] == USAGE["cache_write"]  # the SDK's name for it
    assert "get_weather" in a["gen_ai.output.messages"]
    inputs = json.loads(attrs(second)["gen_ai.input.messages"])
    assert "What is the weather in Paris?" in json.dumps(inputs)
    assert MODEL_REPLY in attrs(second)["gen_ai.output.messages"]


@pytest.mark.parametrize("stream", [pytest.param(False, id="create"), pytest.param(True, id="stream")])
def test_sync_tool_loop(fake_llm: FakeLLMServer, spans: Spans, stream: bool) -> None:
    with anthropic.Anthropic(base_url=fake_llm.root_url) as client:
        assert anthropic_agent.run(client, "What is the weather in Paris?", stream=stream) == MODEL_REPLY
    _check(spans)


async def test_async_tool_loop(fake_llm: FakeLLMServer, spans: Spans) -> None:
    async with anthropic.AsyncAnthropic(base_url=fake_llm.root_url) as client:
        assert await anthropic_agent.run_async(client, "What is the weather in Paris?") == MODEL_REPLY
    _check(spans)
