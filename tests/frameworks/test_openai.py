"""OpenAI client (sync, async, streaming, tool calls) through ``init()``: the official openai-v2
instrumentation's ``chat`` spans nested under the ``@observe`` agent and beside its tool spans."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("openai")
pytest.importorskip("opentelemetry.instrumentation.openai_v2")

import openai

from agentstate import observe
from examples import plain_openai
from tests.frameworks.conftest import Spans, attrs, one, tree
from tests.frameworks.fake_llm import MODEL_REPLY, USAGE, FakeLLMServer

EXPECTED_TREE = [
    "invoke_agent weather_agent",
    "  chat gpt-4o-mini",
    "  execute_tool get_weather",
    "  chat gpt-4o-mini",
]


def _check_chat_spans(spans: Spans) -> None:
    got = spans.get()
    assert tree(got) == EXPECTED_TREE
    first, second = [s for s in got if s.name == "chat gpt-4o-mini"]
    a = attrs(first)
    assert first.kind.name == "CLIENT"
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.request.model"] == "gpt-4o-mini"
    assert a["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert a["gen_ai.usage.input_tokens"] == USAGE["input"]
    assert a["gen_ai.usage.output_tokens"] == USAGE["output"]
    assert a["gen_ai.usage.cache_read.input_tokens"] == USAGE["cached"]
    assert a["gen_ai.usage.reasoning.output_tokens"] == USAGE["reasoning"]
    # openai-v2 2.4b0 leaves them out of streamed calls; our hook fills them in
    assert a["gen_ai.response.finish_reasons"] == ("tool_calls",)
    out = json.loads(a["gen_ai.output.messages"])
    calls = [p for p in out[0]["parts"] if p["type"] == "tool_call"]  # a stream adds an empty text part
    assert [(c["name"], c["arguments"]) for c in calls] == [("get_weather", {"city": "Paris"})]
    inputs = json.loads(attrs(second)["gen_ai.input.messages"])
    assert [m["role"] for m in inputs] == ["user", "assistant", "tool"]
    assert inputs[0]["parts"][0]["content"] == "What is the weather in Paris?"
    assert json.loads(attrs(second)["gen_ai.output.messages"])[0]["parts"][0]["content"] == MODEL_REPLY
    tool = one(got, "execute_tool get_weather")
    assert tool.parent is not None and tool.parent.span_id == one(got, "invoke_agent weather_agent").context.span_id


def test_sync_tool_loop(fake_llm: FakeLLMServer, spans: Spans) -> None:
    with openai.OpenAI(base_url=fake_llm.base_url) as client:
        assert plain_openai.run(client, "What is the weather in Paris?") == MODEL_REPLY
    _check_chat_spans(spans)


async def test_async_tool_loop(fake_llm: FakeLLMServer, spans: Spans) -> None:
    async with openai.AsyncOpenAI(base_url=fake_llm.base_url) as client:
        assert await plain_openai.run_async(client, "What is the weather in Paris?") == MODEL_REPLY
    _check_chat_spans(spans)


def test_streaming_tool_loop(fake_llm: FakeLLMServer, spans: Spans) -> None:
    with openai.OpenAI(base_url=fake_llm.base_url) as client:
        assert plain_openai.run_streaming(client, "What is the weather in Paris?") == MODEL_REPLY
    _check_chat_spans(spans)


FANOUT_TREE = ["invoke_agent fanout"] + ["  " + line for line in EXPECTED_TREE] * 2


def test_agents_in_threads_nest_under_the_caller(fake_llm: FakeLLMServer, spans: Spans) -> None:
    @observe(kind="agent", name="fanout")
    def fanout(client: openai.OpenAI) -> list[str]:
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda q: plain_openai.run(client, q), ["Paris?", "Lyon?"]))

    with openai.OpenAI(base_url=fake_llm.base_url) as client:
        assert fanout(client) == [MODEL_REPLY, MODEL_REPLY]
    got = spans.get()
    assert tree(got) == FANOUT_TREE
    assert len({s.context.trace_id for s in got}) == 1


async def test_concurrent_tasks_nest_under_the_caller(fake_llm: FakeLLMServer, spans: Spans) -> None:
    @observe(kind="agent", name="fanout")
    async def fanout(client: openai.AsyncOpenAI) -> list[str]:
        return list(await asyncio.gather(*(plain_openai.run_async(client, q) for q in ["Paris?", "Lyon?"])))

    async with openai.AsyncOpenAI(base_url=fake_llm.base_url) as client:
        assert await fanout(client) == [MODEL_REPLY, MODEL_REPLY]
    got = spans.get()
    assert tree(got) == FANOUT_TREE
    assert len({s.context.trace_id for s in got}) == 1
