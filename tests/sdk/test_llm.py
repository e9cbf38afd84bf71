"""Recording LLM calls made with clients AgentState does not instrument."""

from __future__ import annotations

import json
from typing import Any

import pytest

import agentstate
from agentstate import LLMCall, llm_call, observe, record_llm_call
from agentstate._internal.llm import to_otel_messages
from tests.sdk.conftest import Captured

USAGE = {
    "input_tokens": 1200,
    "output_tokens": 310,
    "cache_read_tokens": 1000,
    "cache_write_tokens": 50,
    "reasoning_tokens": 200,
}
USAGE_ATTRS = {
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 310,
    "gen_ai.usage.cache_read.input_tokens": 1000,
    "gen_ai.usage.cache_creation.input_tokens": 50,
    "gen_ai.usage.reasoning.output_tokens": 200,
}


def test_llm_call_context_manager(sdk: Captured) -> None:
    with llm_call("gpt-4o", "openai", input_messages=[{"role": "user", "content": "hi"}]) as call:
        call.record(response_model="gpt-4o-2024-08-06", output_messages="hello", **USAGE)  # type: ignore[arg-type]
    (only,) = sdk.dicts()
    assert (only["name"], only["kind"], only["status"]) == ("chat gpt-4o", "CLIENT", "UNSET")
    assert only["attributes"] == {
        "agentstate.span.kind": "llm",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.provider.name": "openai",
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        **USAGE_ATTRS,
        "gen_ai.output.messages": (
            '[{"role":"assistant","parts":[{"type":"text","content":"hello"}],"finish_reason":"stop"}]'
        ),
        "gen_ai.response.finish_reasons": ["stop"],
    }


def test_llm_call_records_an_exception_and_reraises(sdk: Captured) -> None:
    with pytest.raises(TimeoutError), llm_call("claude-sonnet-4", "anthropic"):
        raise TimeoutError("provider timed out")
    (only,) = sdk.dicts()
    assert (only["status"], only["attributes"]["error.type"]) == ("ERROR", "TimeoutError")


def test_record_llm_call_after_the_fact_is_a_child(sdk: Captured) -> None:
    @observe(kind="agent")
    def agent() -> None:
        record_llm_call(
            "claude-sonnet-4",
            "anthropic",
            start_time_ns=10,
            end_time_ns=20,
            finish_reasons=["end_turn"],
            **USAGE,  # type: ignore[arg-type]
        )

    agent()
    llm, parent = sdk.dicts()
    assert (llm["name"], llm["parent"], llm["start"], llm["end"]) == ("chat claude-sonnet-4", parent["span_id"], 10, 20)
    assert {k: v for k, v in llm["attributes"].items() if k.startswith("gen_ai.usage.")} == USAGE_ATTRS
    assert llm["attributes"]["gen_ai.response.finish_reasons"] == ["end_turn"]


def test_current_llm_span_of_observe_is_renamed_after_its_model(sdk: Captured) -> None:
    @observe(kind="llm")
    def ask(question: str) -> str:
        LLMCall.current().record(model="mistral-large", provider="mistral_ai", input_tokens=5, output_tokens=2)
        return "answer"

    assert ask("q") == "answer"
    (only,) = sdk.dicts()
    assert only["name"] == "chat mistral-large"
    assert only["attributes"]["gen_ai.request.model"] == "mistral-large"


def test_helpers_do_nothing_without_init() -> None:
    agentstate.shutdown()
    with llm_call("m") as call:
        call.record(input_tokens=1)
    record_llm_call("m", input_tokens=1)
    LLMCall.current().record(model="m")


@pytest.mark.parametrize(
    ("messages", "role", "reasons", "expected"),
    [
        pytest.param("hi", "user", (), [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}], id="string"),
        pytest.param(
            [{"role": "system", "content": "be brief"}, {"role": "user", "content": [{"type": "text", "text": "x"}]}],
            "user",
            (),
            [
                {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
                {"role": "user", "parts": [{"type": "text", "content": "x"}]},
            ],
            id="openai-content-parts",
        ),
        pytest.param(
            [
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}],
                }
            ],
            "assistant",
            ("tool_calls",),
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": "{}"}],
                    "finish_reason": "tool_calls",
                }
            ],
            id="tool-call",
        ),
        pytest.param(
            [{"role": "tool", "tool_call_id": "c1", "content": "42"}],
            "user",
            (),
            [{"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "42"}]}],
            id="tool-response",
        ),
        pytest.param(
            [{"role": "user", "parts": [{"type": "blob", "modality": "image", "content": "..."}]}],
            "user",
            (),
            [{"role": "user", "parts": [{"type": "blob", "modality": "image", "content": "..."}]}],
            id="already-otel",
        ),
    ],
)
def test_messages_are_converted_to_otel_parts(
    messages: Any, role: str, reasons: tuple[str, ...], expected: list[dict[str, Any]]
) -> None:
    assert to_otel_messages(messages, role, reasons) == expected
    json.dumps(expected)  # the attribute is JSON
