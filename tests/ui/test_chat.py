"""LLM messages of every dialect become one chat shape."""

from __future__ import annotations

from typing import Any

import pytest

from agentstate.ui.chat import ChatMessage, ToolCall, ToolResult, conversation, to_messages


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            [
                {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
                {
                    "role": "assistant",
                    "parts": [{"type": "tool_call", "id": "c1", "name": "calc", "arguments": {"e": "2+2"}}],
                },
                {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "4"}]},
            ],
            [
                ChatMessage("user", ["hi"]),
                ChatMessage("assistant", tool_calls=[ToolCall("calc", {"e": "2+2"}, "c1")]),
                ChatMessage("tool", tool_results=[ToolResult("4", "c1")]),
            ],
            id="otel-genai-parts",
        ),
        pytest.param(
            [
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "x", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}],
                },
                {"role": "tool", "tool_call_id": "x", "content": "ok"},
            ],
            [
                ChatMessage("assistant", tool_calls=[ToolCall("f", '{"a": 1}', "x")]),
                ChatMessage("tool", tool_results=[ToolResult("ok", "x")]),
            ],
            id="openai-style",
        ),
        pytest.param(
            [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
            [ChatMessage("user", ["a", "b"])],
            id="content-list",
        ),
        pytest.param(
            [
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls.0.tool_call.function.name": "search",
                    "tool_calls.0.tool_call.function.arguments": {"q": "x"},
                }
            ],
            [ChatMessage("assistant", tool_calls=[ToolCall("search", {"q": "x"})])],
            id="openinference-flat",
        ),
        pytest.param("just text", [ChatMessage("user", ["just text"])], id="bare-string"),
        pytest.param(None, [], id="none"),
    ],
)
def test_to_messages(raw: Any, expected: list[ChatMessage]) -> None:
    assert to_messages(raw) == expected


def test_conversation_orders_system_input_output() -> None:
    msgs = conversation(
        [{"type": "text", "content": "be brief"}],
        [{"role": "user", "content": "q"}],
        [{"role": "assistant", "parts": [{"type": "text", "content": "a"}], "finish_reason": "stop"}],
    )
    assert [(m.role, m.texts) for m in msgs] == [("system", ["be brief"]), ("user", ["q"]), ("assistant", ["a"])]
    assert msgs[-1].finish_reason == "stop"
