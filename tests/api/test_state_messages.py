"""LangChain / LangGraph state messages and tool results, in every serialisation (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from agentstate.api import genai
from agentstate.api.state_messages import state_messages, to_message, tool_message_content

Q = "What is the weather in Paris?"
USER = {"role": "user", "content": Q}
CALL = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param(Q, USER, id="bare-string"),
        pytest.param(["user", Q], USER, id="role-content-pair"),
        pytest.param(["human", Q], USER, id="langchain-pair"),
        pytest.param({"type": "human", "data": {"content": Q}}, USER, id="message_to_dict"),
        pytest.param(
            {
                "lc": 1,
                "type": "constructor",
                "id": ["langchain", "schema", "messages", "HumanMessage"],
                "kwargs": {"content": Q},
            },
            USER,
            id="dumpd",
        ),
        pytest.param({"type": "human", "content": Q, "id": "x"}, USER, id="model_dump"),
        pytest.param(USER, USER, id="openai-dict"),
        pytest.param(
            {
                "type": "ai",
                "data": {"content": "", "tool_calls": [{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}]},
            },
            {"role": "assistant", "content": "", "tool_calls": [CALL]},
            id="ai-tool-calls",
        ),
        pytest.param(
            {"type": "tool", "data": {"content": "Sunny", "tool_call_id": "c1", "name": "get_weather"}},
            {"role": "tool", "content": "Sunny", "name": "get_weather", "tool_call_id": "c1"},
            id="tool-message",
        ),
        pytest.param({"type": "AIMessageChunk", "content": "hi"}, {"role": "assistant", "content": "hi"}, id="chunk"),
        pytest.param({"remaining_steps": 3}, None, id="not-a-message"),
        pytest.param(["Send", "x"], None, id="unknown-pair"),
    ],
)
def test_to_message(item: Any, expected: Any) -> None:
    assert to_message(item) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            {"messages": [["system", "Be brief."], ["user", Q]]},
            [{"role": "system", "content": "Be brief."}, USER],
            id="state",
        ),
        pytest.param('{"messages": [["user", "What is the weather in Paris?"]]}', [USER], id="json-text"),
        pytest.param(
            {"messages": [[["user", Q], ["ai", "Sunny"]]]},
            [USER, {"role": "assistant", "content": "Sunny"}],
            id="batch",
        ),
        pytest.param({"inputs": {"messages": [Q]}}, [USER], id="openllmetry-inputs"),
        pytest.param({"state": {"messages": [Q]}, "tool_call": {}}, [USER], id="langgraph-send"),
        pytest.param({"messages": [Q, {"weird": 1}]}, [], id="not-all-messages"),
        pytest.param({"query": Q}, [], id="no-messages"),
        pytest.param("plain text", [], id="text"),
        pytest.param(None, [], id="none"),
    ],
)
def test_state_messages(value: Any, expected: Any) -> None:
    assert state_messages(value) == expected


def test_tool_message_content_unwraps_only_tool_messages() -> None:
    assert tool_message_content({"type": "tool", "data": {"content": "Sunny"}}) == "Sunny"
    assert tool_message_content({"temp": 21}) == {"temp": 21}
    assert tool_message_content("Sunny") == "Sunny"


FIRST_ONLY = {"llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "Be brief."}


@pytest.mark.parametrize(
    ("attrs", "direction", "expected"),
    [
        pytest.param(
            {**FIRST_ONLY, "input.value": '{"messages": [["system", "Be brief."], ["user", "hi"]]}'},
            "input",
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
            id="state-longer-than-flattened",
        ),
        pytest.param(
            {**FIRST_ONLY, "input.value": '{"messages": [["system", "Be brief."]]}'},
            "input",
            [{"role": "system", "content": "Be brief."}],
            id="flattened-kept-on-a-tie",
        ),
        pytest.param(
            {
                "input.value": '{"messages": [["user", "hi"]]}',
                "output.value": '{"messages": [["user", "hi"], ["ai", "yo"]]}',
            },
            "output",
            [{"role": "assistant", "content": "yo"}],
            id="output-is-what-was-added",
        ),
        pytest.param(
            {"gen_ai.input.messages": "[]", "input.value": '{"messages": ["hi"]}'}, "input", [], id="json-key-wins"
        ),
        pytest.param({"input.value": "hi"}, "input", None, id="plain-input-is-no-message"),
    ],
)
def test_messages_read_graph_state(attrs: dict[str, str], direction: str, expected: Any) -> None:
    assert genai.messages(attrs, direction) == expected


@pytest.mark.parametrize(
    ("attrs", "operation", "arguments", "result"),
    [
        pytest.param(
            {"input.value": "Paris", "output.value": '{"type": "tool", "data": {"content": "Sunny"}}'},
            "execute_tool",
            "Paris",
            "Sunny",
            id="openinference-tool",
        ),
        pytest.param({"input.value": "Paris", "output.value": "Sunny"}, "invoke_workflow", None, None, id="not-a-tool"),
        pytest.param(
            {"ai.toolCall.args": '{"a": 1}', "ai.toolCall.result": "2"}, "execute_tool", {"a": 1}, "2", id="vercel"
        ),
        pytest.param(
            {"tool.parameters": '{"type": "object"}', "input.value": '{"city": "Paris"}'},
            "execute_tool",
            {"city": "Paris"},
            None,
            id="call-input-before-the-tool-schema",
        ),
        pytest.param(
            {"tool.parameters": '{"type": "object"}'}, "execute_tool", {"type": "object"}, None, id="schema-last"
        ),
        pytest.param(
            {"gen_ai.tool.call.arguments": '{"a": 1}', "input.value": "x"},
            "execute_tool",
            {"a": 1},
            None,
            id="genai-key-wins",
        ),
    ],
)
def test_tool_io_of_every_dialect(attrs: dict[str, str], operation: str, arguments: Any, result: Any) -> None:
    assert (genai.tool_arguments(attrs, operation), genai.tool_result(attrs, operation)) == (arguments, result)
