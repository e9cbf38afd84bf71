"""Span normalisation: real spans from ../shared/data/otlp and one hand-written case per dialect."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any, Final

import pytest

from agentstate.processors.normalize import detect_dialect, normalize, normalize_columns
from agentstate.semconv.span_record import (
    Dialect,
    Message,
    NormalizedSpan,
    Operation,
    SpanCategory,
    ToolCall,
    new_turn,
)
from tests.conftest import shared_file
from tests.processors import otlp_json

# span_id -> (operation, provider, request model, response model, input, output, total, finish, workflow)
_VERCEL: dict[str, tuple[Operation, str, str, str | None, int, int | None, int | None, tuple[str, ...]]] = {
    "39d6e9b3ddec9996": (Operation.CHAT, "openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 14, 20, 34, ("stop",)),
    "648be1dfd8e521b6": (Operation.INVOKE_WORKFLOW, "openai", "gpt-4o-mini", None, 14, 20, 34, ("stop",)),
    "6c0201026326855d": (Operation.CHAT, "openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 50, 9, 59, ("stop",)),
    "d3661934fbcf93fd": (Operation.INVOKE_WORKFLOW, "openai", "gpt-4o-mini", None, 50, 9, 59, ("stop",)),
    "bf098ec12458e605": (Operation.CHAT, "openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 63, 156, 219, ("stop",)),
    "25ec6d8e42789717": (Operation.INVOKE_WORKFLOW, "openai", "gpt-4o-mini", None, 63, 156, 219, ("stop",)),
    "5a81ef3ffb5d8603": (Operation.CHAT, "openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 15, 112, 127, ("stop",)),
    "c8be0dc143acbe03": (Operation.INVOKE_WORKFLOW, "openai", "gpt-4o-mini", None, 15, 112, 127, ("stop",)),
    "53e12604843b0399": (Operation.EMBEDDINGS, "openai", "text-embedding-3-small", None, 10, None, None, ()),
    "06a62ec64ae5b0a2": (Operation.INVOKE_WORKFLOW, "openai", "text-embedding-3-small", None, 10, None, None, ()),
}


def _vercel_spans(kind: str) -> list[tuple[str, str, dict[str, object]]]:
    if kind == "readable":
        data = json.loads(shared_file("otlp", "openinference_vercel_v6_all_spans.json").read_text())
        return [(s["spanContext"]["spanId"], s["name"], s["attributes"]) for s in data]
    body = json.loads(shared_file("otlp", "vercel_v6_spans_as_otlp.json").read_text())
    return [(s["spanId"], s["name"], s["attributes"]) for s in otlp_json.spans(body)]


@pytest.mark.parametrize(
    "kind", [pytest.param("readable", id="readable-span-json"), pytest.param("otlp", id="otlp-json")]
)
def test_vercel_v6_spans(kind: str) -> None:
    spans = _vercel_spans(kind)
    assert {span_id for span_id, _, _ in spans} == set(_VERCEL)
    for span_id, name, attrs in spans:
        n = normalize(attrs, name)
        op, provider, req, resp, inp, out, total, finish = _VERCEL[span_id]
        got = (n.operation, n.provider, n.request_model, n.response_model, n.input_tokens, n.output_tokens,
               n.total_tokens, n.finish_reasons)  # fmt: skip
        assert got == (op, provider, req, resp, inp, out, total, finish), span_id
        assert n.dialect is Dialect.VERCEL_AI
        assert n.workflow_name is not None and n.workflow_name.startswith("test-")


def test_vercel_messages_and_streaming_usage() -> None:
    by_id = {span_id: normalize(attrs, name) for span_id, name, attrs in _vercel_spans("readable")}
    multi = by_id["6c0201026326855d"]
    assert [m.role for m in multi.input_messages] == ["system", "user", "assistant", "user"]
    assert multi.input_messages[-1].content == "And what is 3 + 3?"
    assert multi.output_messages == (Message("assistant", "3 + 3 equals 6.", finish_reason="stop"),)
    stream = by_id["5a81ef3ffb5d8603"]
    assert (stream.cache_read_tokens, stream.reasoning_tokens) == (0, 0)
    assert by_id["648be1dfd8e521b6"].calls_model is False  # the wrapper span is not billed twice


def test_otel_genai_client_span_with_tool_calls() -> None:
    attrs = json.loads(shared_file("otlp", "openinference_otel_genai_client_span_tool_calls.json").read_text())
    n = normalize(attrs)
    assert (n.dialect, n.operation, n.provider) == (Dialect.OTEL_GENAI, Operation.CHAT, "openai")
    assert (n.request_model, n.response_model, n.request_max_tokens) == ("gpt-4", "gpt-4-0613", 200)
    assert (n.input_tokens, n.output_tokens, n.total_tokens) == (97, 52, 149)
    assert n.input_messages == (
        Message("user", "Weather in Paris?"),
        Message(
            "assistant",
            "Absolutely! Let me check the weather for you.",
            (ToolCall("get_weather", '{"location":"Paris"}', "1234"),),
        ),
        Message("tool", "rainy, 57°F", tool_call_id="1234"),
    )
    assert n.output_messages[0].finish_reason == "stop"
    assert n.finish_reasons == ("stop",)


def _cassettes() -> list[dict[str, Any]]:
    path = shared_file("otlp", "openllmetry_openai_cassettes_decoded.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def openllmetry_attributes(pair: dict[str, Any], generation: str) -> dict[str, object]:
    """Attributes the OpenLLMetry OpenAI instrumentation writes for one request/response pair."""
    req, resp = pair["request"], pair["response"]
    usage = resp["usage"]
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    choice = resp["choices"][0]
    if generation == "legacy":
        attrs: dict[str, object] = {
            "llm.request.type": "chat", "gen_ai.system": "OpenAI", "gen_ai.request.model": req["model"],
            "gen_ai.response.model": resp["model"], "gen_ai.usage.prompt_tokens": usage["prompt_tokens"],
            "gen_ai.usage.completion_tokens": usage["completion_tokens"],
            "llm.usage.total_tokens": usage["total_tokens"], "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": choice["message"]["content"],
            "gen_ai.completion.0.finish_reason": choice["finish_reason"],
        }  # fmt: skip
        for i, m in enumerate(req["messages"]):
            attrs[f"gen_ai.prompt.{i}.role"] = m["role"]
            if m.get("content") is not None:
                attrs[f"gen_ai.prompt.{i}.content"] = m["content"]
            for j, call in enumerate(m.get("tool_calls") or []):
                prefix = f"gen_ai.prompt.{i}.tool_calls.{j}"
                attrs[f"{prefix}.id"], attrs[f"{prefix}.name"] = call["id"], call["function"]["name"]
                attrs[f"{prefix}.arguments"] = call["function"]["arguments"]
        if reasoning is not None:
            attrs["gen_ai.usage.reasoning_tokens"] = reasoning
        return attrs
    return {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": req["model"],
        "gen_ai.response.model": resp["model"], "gen_ai.usage.input_tokens": str(usage["prompt_tokens"]),
        "gen_ai.usage.output_tokens": usage["completion_tokens"], "gen_ai.usage.total_tokens": usage["total_tokens"],
        "gen_ai.usage.reasoning_tokens": reasoning or 0, "gen_ai.response.finish_reasons": [choice["finish_reason"]],
        "gen_ai.input.messages": json.dumps([_parts_message(m) for m in req["messages"]]),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "finish_reason": choice["finish_reason"],
                                               "parts": [{"type": "text", "content": choice["message"]["content"]}]}]),
    }  # fmt: skip


def _parts_message(m: dict[str, Any]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"type": "text", "content": m["content"]}] if m.get("content") else []
    parts += [{"type": "tool_call", "id": c["id"], "name": c["function"]["name"],
               "arguments": json.loads(c["function"]["arguments"])} for c in m.get("tool_calls") or []]  # fmt: skip
    if m["role"] == "tool":
        parts = [{"type": "tool_call_response", "id": m.get("tool_call_id"), "response": m["content"]}]
    return {"role": m["role"], "parts": parts}


@pytest.mark.parametrize("generation", [pytest.param("legacy", id="legacy"), pytest.param("current", id="current")])
def test_openllmetry_openai_cassettes(generation: str) -> None:
    pairs = _cassettes()
    assert len(pairs) == 16
    for pair in pairs:
        usage, choice = pair["response"]["usage"], pair["response"]["choices"][0]
        n = normalize(openllmetry_attributes(pair, generation), "openai.chat")
        assert (n.operation, n.provider) == (Operation.CHAT, "openai")
        assert n.dialect is (Dialect.OPENLLMETRY if generation == "legacy" else Dialect.OTEL_GENAI)
        assert (n.input_tokens, n.output_tokens, n.total_tokens) == (
            usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])  # fmt: skip
        details = usage.get("completion_tokens_details") or {}
        assert (n.reasoning_tokens or 0) == details.get("reasoning_tokens", 0)
        assert n.response_model == pair["response"]["model"]
        expected = [(m["role"], m.get("content") or "", [c["function"]["name"] for c in m.get("tool_calls") or []])
                    for m in pair["request"]["messages"]]  # fmt: skip
        assert [(m.role, m.content, [c.name for c in m.tool_calls]) for m in n.input_messages] == expected
        assert n.output_messages[0].content == choice["message"]["content"]
        assert n.finish_reasons == (choice["finish_reason"],)


_OPENINFERENCE_LLM = {
    "openinference.span.kind": "LLM", "llm.provider": "anthropic", "llm.model_name": "claude-3-5-sonnet-20241022",
    "llm.token_count.prompt": 1200, "llm.token_count.completion": 80, "llm.token_count.total": 1280,
    "llm.token_count.prompt_details.cache_read": 1000, "llm.token_count.prompt_details.cache_write": 100,
    "session.id": "sess-1", "user.id": "user-7", "agent.name": "planner",
    "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "Be brief.",
    "llm.input_messages.1.message.role": "user",
    "llm.input_messages.1.message.contents.0.message_content.type": "text",
    "llm.input_messages.1.message.contents.0.message_content.text": "Book a flight",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.tool_calls.0.tool_call.id": "call_1",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "book",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"to": "LIS"}',
    "llm.cost.total": 0.0042,
}  # fmt: skip

_OPENLLMETRY_TOOL = {
    "traceloop.span.kind": "tool", "traceloop.entity.name": "search_web", "traceloop.workflow.name": "trip",
    "traceloop.entity.input": '{"args": [], "kwargs": {"q": "hotels in Lisbon"}}',
    "traceloop.entity.output": '"3 results"', "traceloop.association.properties.session_id": "s-9",
    "traceloop.association.properties.user_id": "u-3",
}  # fmt: skip


_DIALECT_CASES: Final = [
        pytest.param(
            _OPENINFERENCE_LLM, "ChatAnthropic",
            {"dialect": Dialect.OPENINFERENCE, "operation": Operation.CHAT, "provider": "anthropic",
             "request_model": "claude-3-5-sonnet-20241022", "input_tokens": 1200, "cache_read_tokens": 1000,
             "cache_write_tokens": 100, "total_tokens": 1280, "session_id": "sess-1", "user_id": "user-7",
             "agent_name": "planner", "reported_cost_usd": 0.0042,
             "input_messages": (Message("system", "Be brief."), Message("user", "Book a flight")),
             "output_messages": (Message("assistant", "", (ToolCall("book", '{"to": "LIS"}', "call_1"),)),)},
            id="openinference-llm-flattened",
        ),
        pytest.param(
            {"openinference.span.kind": "TOOL", "tool.name": "get_weather", "input.value": '{"city": "Paris"}',
             "output.value": "rainy"}, "get_weather",
            {"operation": Operation.EXECUTE_TOOL, "tool_name": "get_weather", "tool_arguments": '{"city": "Paris"}',
             "tool_result": "rainy"},
            id="openinference-tool",
        ),
        pytest.param(
            {"openinference.span.kind": "RETRIEVER", "retrieval.documents.0.document.content": "doc A",
             "retrieval.documents.1.document.content": "doc B", "retrieval.documents.1.document.score": 0.4},
            "retrieve", {"operation": Operation.RETRIEVAL, "documents": ("doc A", "doc B")},
            id="openinference-retriever",
        ),
        pytest.param(
            {"openinference.span.kind": "LLM", "llm.model_name": "gpt-3.5-turbo-instruct",
             "llm.prompts.0.prompt.text": "Say hi"}, "completion",
            {"operation": Operation.TEXT_COMPLETION, "input_messages": (Message("user", "Say hi"),)},
            id="openinference-completions",
        ),
        pytest.param(
            {"openinference.span.kind": "CHAIN", "input.value": "plan a trip"}, "TripChain",
            {"operation": Operation.INVOKE_WORKFLOW, "workflow_name": "TripChain", "input_text": "plan a trip"},
            id="openinference-chain",
        ),
        pytest.param(
            _OPENLLMETRY_TOOL, "search_web.tool",
            {"dialect": Dialect.OPENLLMETRY, "operation": Operation.EXECUTE_TOOL, "tool_name": "search_web",
             "workflow_name": "trip", "session_id": "s-9", "user_id": "u-3",
             "tool_arguments": _OPENLLMETRY_TOOL["traceloop.entity.input"], "tool_result": '"3 results"'},
            id="openllmetry-tool",
        ),
        pytest.param(
            {"traceloop.span.kind": "agent", "traceloop.entity.name": "booker"}, "booker.agent",
            {"operation": Operation.INVOKE_AGENT, "agent_name": "booker"}, id="openllmetry-agent",
        ),
        pytest.param(
            {"gen_ai.system": "Anthropic", "llm.request.type": "chat", "gen_ai.request.model": "claude-3-haiku",
             "gen_ai.usage.input_tokens": 10, "gen_ai.usage.cache_read_input_tokens": 500,
             "gen_ai.usage.cache_creation_input_tokens": 40, "gen_ai.prompt.0.role": "user",
             "gen_ai.prompt.0.content": '[{"type": "text", "text": "hi"}]'}, "anthropic.chat",
            {"provider": "anthropic", "input_tokens": 550, "cache_read_tokens": 500, "cache_write_tokens": 40,
             "input_messages": (Message("user", "hi"),)},
            id="openllmetry-anthropic-uncached-input",
        ),
        pytest.param(
            {"gen_ai.provider.name": "az.ai.openai", "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
             "gen_ai.system_instructions": '[{"type": "text", "content": "You are terse."}]',
             "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}],
             "gen_ai.conversation.id": "conv-1", "gen_ai.agent.name": "helper"}, "chat gpt-4o",
            {"provider": "azure.ai.openai", "session_id": "conv-1", "agent_name": "helper",
             "input_messages": (Message("system", "You are terse."), Message("user", "hi"))},
            id="otel-new-structured-values",
        ),
        pytest.param(
            {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4", "gen_ai.usage.prompt_tokens": "12",
             "gen_ai.usage.completion_tokens": 3.0}, "chat gpt-4",
            {"dialect": Dialect.OTEL_GENAI, "operation": Operation.CHAT, "input_tokens": 12, "output_tokens": 3,
             "total_tokens": 15},
            id="otel-old-generation-string-tokens",
        ),
        pytest.param(
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup", "gen_ai.tool.call.id": "c1",
             "gen_ai.tool.call.arguments": {"id": 3}, "gen_ai.tool.call.result": "found"}, "execute_tool lookup",
            {"operation": Operation.EXECUTE_TOOL, "tool_name": "lookup", "tool_call_id": "c1",
             "tool_arguments": '{"id":3}', "tool_result": "found"},
            id="otel-execute-tool",
        ),
        pytest.param({"http.method": "GET"}, "GET /", {"dialect": Dialect.UNKNOWN, "operation": Operation.UNKNOWN},
                     id="not-genai"),
        pytest.param(
            {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": -5, "gen_ai.usage.output_tokens": True,
             "gen_ai.input.messages": "not json"}, "chat",
            {"input_tokens": None, "output_tokens": None, "input_messages": ()}, id="garbage-values-ignored",
        ),
]  # fmt: skip


@pytest.mark.parametrize(("attrs", "name", "expected"), _DIALECT_CASES)
def test_dialects(attrs: dict[str, object], name: str, expected: dict[str, object]) -> None:
    n = normalize(attrs, name)
    assert {field: getattr(n, field) for field in expected} == expected


def test_attributes_are_not_modified() -> None:
    attrs = dict(_OPENINFERENCE_LLM)
    normalize(attrs)
    assert attrs == _OPENINFERENCE_LLM


@pytest.mark.parametrize(
    ("attrs", "dialect"),
    [
        pytest.param({"openinference.span.kind": "LLM", "gen_ai.system": "x"}, Dialect.OPENINFERENCE, id="oi-first"),
        pytest.param({"gen_ai.prompt.0.role": "user", "gen_ai.system": "x"}, Dialect.OPENLLMETRY, id="indexed-prompt"),
        pytest.param({"llm.usage.total_tokens": 3}, Dialect.OPENLLMETRY, id="llm-usage"),
        pytest.param({"ai.operationId": "ai.generateText"}, Dialect.VERCEL_AI, id="vercel"),
        pytest.param({"gen_ai.provider.name": "openai"}, Dialect.OTEL_GENAI, id="otel"),
    ],
)
def test_detect_dialect(attrs: dict[str, object], dialect: Dialect) -> None:
    assert detect_dialect(attrs) is dialect


@pytest.mark.parametrize(
    ("operation", "category"),
    [
        pytest.param(Operation.CHAT, SpanCategory.LLM, id="chat"),
        pytest.param(Operation.EMBEDDINGS, SpanCategory.EMBEDDING, id="embeddings"),
        pytest.param(Operation.EXECUTE_TOOL, SpanCategory.TOOL, id="tool"),
        pytest.param(Operation.INVOKE_WORKFLOW, SpanCategory.WORKFLOW, id="workflow"),
        pytest.param(Operation.GUARDRAIL, SpanCategory.OTHER, id="other"),
    ],
)
def test_category(operation: Operation, category: SpanCategory) -> None:
    assert normalize({"gen_ai.operation.name": operation.value}).category is category


def test_anthropic_sdk_cache_write_tokens_are_read() -> None:
    """anthropic 2.x traces itself and names cache writes ``gen_ai.usage.cache_write.input_tokens``."""
    span = normalize(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.cache_write.input_tokens": 40,
            "gen_ai.usage.cache_read.input_tokens": 10,
        }
    )
    assert (span.cache_write_tokens, span.cache_read_tokens) == (40, 10)


def test_columns_equal_the_records_whatever_the_values_of_a_key_shape() -> None:
    """``normalize_columns`` (the writer's path: one plan per key shape) gives what ``normalize`` gives,
    span by span (input messages: the new turn), also when spans of one shape differ in which keys hold
    an empty value."""
    shape = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "llm.model_name": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": "12",
        "gen_ai.agent.name": "planner",
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]',
    }
    variants = [dict(shape), {**shape, "gen_ai.request.model": ""}, {**shape, "gen_ai.usage.input_tokens": ""},
                {**shape, "gen_ai.input.messages": "", "gen_ai.agent.name": ""}, dict.fromkeys(shape, "")]  # fmt: skip
    spans: list[tuple[dict[str, Any], str]] = [(v, "chat gpt-4o") for v in variants]
    spans += [(attrs, name) for attrs, name, _ in (p.values for p in _DIALECT_CASES)]  # type: ignore[misc]
    spans += [({}, "SELECT docs"), ({"db.system.name": "postgresql"}, "")]
    for _ in range(2):  # the second time every plan comes from the memo
        cols = normalize_columns(spans)
        assert set(cols) == {f.name for f in fields(NormalizedSpan)}
        got = [NormalizedSpan(**{name: values[i] for name, values in cols.items()}) for i in range(len(spans))]
        records = [normalize(attrs, name) for attrs, name in spans]
        assert got == [replace(r, input_messages=new_turn(r.input_messages)) for r in records]
    assert got[1].request_model == "gpt-4o-mini" and got[2].input_tokens is None and got[3].agent_name is None


def test_the_plan_memo_is_bounded_in_shapes_and_in_keys() -> None:
    """Past ``_MAX_PLANS`` key shapes the memo starts over, and shapes of many keys are not held; every span
    still normalises as ``normalize`` does."""
    from agentstate.processors import normalize as module

    spans: list[tuple[dict[str, Any], str]] = [
        ({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", f"custom.key.{i}": "x"}, "chat")
        for i in range(module._MAX_PLANS + 10)
    ]
    cols = normalize_columns(spans)
    assert 0 < len(module._PLANS) <= module._MAX_PLANS
    assert set(cols["request_model"]) == {"gpt-4o"} and set(cols["operation"]) == {Operation.CHAT}
    for i in (0, len(spans) - 1):
        assert NormalizedSpan(**{name: values[i] for name, values in cols.items()}) == normalize(*spans[i])
    module._PLANS.clear()
    wide = {**spans[0][0], **{f"custom.wide.{i}": "x" for i in range(module._MAX_SHAPE_KEYS)}}
    assert normalize_columns([(wide, "chat")] * 3)["request_model"] == ["gpt-4o"] * 3
    assert module._PLANS == {}  # a shape past the key limit is planned for its span alone, never held


_CONVERSATION = [
    ("system", "Be brief."),
    ("user", "Book a flight"),
    ("assistant", "Where to?"),
    ("tool", "seats: 3"),
    ("assistant", "Done."),
    ("user", "Now a hotel"),
    ("tool", "rooms: 2"),
]


def _conversations() -> list[dict[str, Any]]:
    otel = json.dumps([{"role": r, "parts": [{"type": "text", "content": c}]} for r, c in _CONVERSATION[1:]])
    flat: dict[str, Any] = {"llm.model_name": "gpt-4o"}
    for i, (role, content) in enumerate(_CONVERSATION):
        flat[f"llm.input_messages.{i}.message.role"] = role
        flat[f"llm.input_messages.{i}.message.content"] = content
    vercel = json.dumps({"system": "Be brief.", "messages": [{"role": r, "content": c} for r, c in _CONVERSATION[1:]]})
    first_call = json.dumps([{"role": "user", "content": "Book a flight"}])
    return [
        {"gen_ai.operation.name": "chat", "gen_ai.system_instructions": "Be brief.", "gen_ai.input.messages": otel},
        flat,
        {"ai.prompt": vercel, "ai.model.id": "gpt-4o", "operation.name": "ai.generateText.doGenerate"},
        {"gen_ai.operation.name": "chat", "gen_ai.input.messages": first_call},  # no answer yet: all of it
    ]


def test_the_writers_columns_hold_the_new_turn_of_a_resent_conversation() -> None:
    """``normalize_columns`` parses only the messages after the model's last answer, in every dialect
    that can send a conversation; the result is :func:`new_turn` of what ``normalize`` reads."""
    spans = [(attributes, "chat") for attributes in _conversations()]
    cols = normalize_columns(spans)
    whole = [normalize(attributes, name).input_messages for attributes, name in spans]
    assert cols["input_messages"] == [new_turn(messages) for messages in whole]
    assert [[m.content for m in turn] for turn in cols["input_messages"]] == [["Now a hotel", "rooms: 2"]] * 3 + [
        ["Book a flight"]
    ]
    assert all(len(messages) >= 7 for messages in whole[:3])  # the whole conversation was there to trim
