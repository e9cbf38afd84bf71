"""GenAI log events as a span's messages, for each event the instrumentations send (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentstate.api.genai_events import EventMessages, LogEvent, event_messages

Q = "What is the weather in Paris?"
CALL = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
CALL_PART = {"type": "tool_call", "id": "c1", "name": "get_weather", "arguments": {"city": "Paris"}}


def ev(name: str, body: Any = None, attributes: dict[str, str] | None = None, t: int = 0) -> LogEvent:
    return LogEvent(t, name, "" if body is None else json.dumps(body), attributes or {})


def text(role: str, content: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([], EventMessages(), id="none"),
        pytest.param(
            [ev("gen_ai.system.message", {"content": "Be brief."}), ev("gen_ai.user.message", {"content": Q}, t=1)],
            EventMessages(input=[text("system", "Be brief."), text("user", Q)]),
            id="system-and-user",
        ),
        pytest.param(
            [
                ev("gen_ai.user.message", {"content": Q}, t=2),
                ev("gen_ai.system.message", {"content": "Be brief."}, t=1),
            ],
            EventMessages(input=[text("system", "Be brief."), text("user", Q)]),
            id="time-order",
        ),
        pytest.param(
            [
                ev("gen_ai.assistant.message", {"tool_calls": [CALL]}),
                ev("gen_ai.tool.message", {"content": "Sunny", "id": "c1"}, t=1),
            ],
            EventMessages(
                input=[
                    {"role": "assistant", "parts": [CALL_PART]},
                    {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "Sunny"}]},
                ]
            ),
            id="assistant-tool-calls-and-tool-result",
        ),
        pytest.param(
            [ev("gen_ai.user.message", {"content": [{"type": "text", "text": "hi"}]})],
            EventMessages(input=[text("user", "hi")]),
            id="content-parts",
        ),
        pytest.param(
            [ev("gen_ai.user.message")], EventMessages(input=[{"role": "user", "parts": []}]), id="no-content-captured"
        ),
        pytest.param(
            [
                ev(
                    "gen_ai.choice",
                    {"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "b"}},
                ),
                ev("gen_ai.choice", {"index": 0, "finish_reason": "tool_calls", "message": {"tool_calls": [CALL]}}),
            ],
            EventMessages(
                output=[
                    {"role": "assistant", "parts": [CALL_PART], "finish_reason": "tool_calls"},
                    {**text("assistant", "b"), "finish_reason": "stop"},
                ]
            ),
            id="choices-by-index",
        ),
        pytest.param(
            [
                ev(
                    "gen_ai.client.inference.operation.details",
                    attributes={
                        "gen_ai.input.messages": json.dumps([text("user", Q)]),
                        "gen_ai.output.messages": json.dumps([text("assistant", "Sunny")]),
                        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be brief."}]),
                    },
                )
            ],
            EventMessages(
                input=[text("user", Q)],
                output=[text("assistant", "Sunny")],
                system=[{"type": "text", "content": "Be brief."}],
            ),
            id="operation-details",
        ),
        pytest.param([ev("gen_ai.evaluation.result", {"score": 1})], EventMessages(), id="other-genai-event"),
    ],
)
def test_event_messages(events: list[LogEvent], expected: EventMessages) -> None:
    assert event_messages(events) == expected


def test_plain_text_body_is_the_content() -> None:
    event = LogEvent(0, "gen_ai.user.message", "hello", {})
    assert event_messages([event]).input == [text("user", "hello")]
