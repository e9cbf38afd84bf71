"""Span normalisation: any attribute dialect in, one :class:`NormalizedSpan` out.

Dialects (reference §4.3): OpenTelemetry GenAI (``gen_ai.*``, both generations), OpenInference
(``openinference.span.kind``, ``llm.*``), OpenLLMetry / Traceloop (``traceloop.*``,
``llm.request.type``, indexed ``gen_ai.prompt.*``) and the Vercel AI SDK (``ai.*``). Each canonical
field is read from an ordered list of keys, so mixed spans (OpenLLMetry writes ``gen_ai.*`` too)
resolve the same way. The attributes are never modified.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

from agentstate.processors import normalize_messages as msgs
from agentstate.processors.attr_values import (
    Attributes,
    FirstOf,
    as_float,
    as_int,
    as_str,
    as_str_list,
    flattened_roots,
)
from agentstate.semconv import attributes_keys as K
from agentstate.semconv.record import Dialect, NormalizedSpan, Operation

_OPERATIONS: Final = {op.value: op for op in Operation} | {
    "completion": Operation.TEXT_COMPLETION,
    "embedding": Operation.EMBEDDINGS,
    "embed": Operation.EMBEDDINGS,
    "tool": Operation.EXECUTE_TOOL,
    "agent": Operation.INVOKE_AGENT,
    "workflow": Operation.INVOKE_WORKFLOW,
    "chain": Operation.INVOKE_WORKFLOW,
}
"""``gen_ai.operation.name``, ``llm.request.type`` and ``traceloop.span.kind`` values."""

_OI_KINDS: Final = {
    "LLM": Operation.CHAT,
    "EMBEDDING": Operation.EMBEDDINGS,
    "RETRIEVER": Operation.RETRIEVAL,
    "RERANKER": Operation.RERANK,
    "TOOL": Operation.EXECUTE_TOOL,
    "AGENT": Operation.INVOKE_AGENT,
    "CHAIN": Operation.INVOKE_WORKFLOW,
    "GUARDRAIL": Operation.GUARDRAIL,
    "EVALUATOR": Operation.EVALUATION,
}
"""``openinference.span.kind`` → operation."""

_PROVIDERS: Final = {
    "az.ai.openai": "azure.ai.openai",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "mistralai": "mistral_ai",
    "mistral": "mistral_ai",
    "vertexai": "gcp.vertex_ai",
    "vertex_ai": "gcp.vertex_ai",
    "google": "gcp.gemini",
    "gemini": "gcp.gemini",
    "aws": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "xai": "x_ai",
    "watsonx": "ibm.watsonx.ai",
}
"""Legacy, capitalised or vendor-specific provider names → OTel ``gen_ai.provider.name`` values."""

_VERCEL_MODEL_CALL: Final = re.compile(r"^ai\.(?:generate|stream)(?:Text|Object)\.do(?:Generate|Stream)$")
_SPAN_NAME_OP: Final = re.compile(
    r"^(chat|text_completion|generate_content|embeddings|execute_tool|invoke_agent|create_agent|"
    r"invoke_workflow|retrieval)\b|\.(chat|completion|embeddings?)$"
)

_INPUT_TOKENS: Final = (*K.INPUT_TOKEN_KEYS, "ai.usage.inputTokens", "ai.usage.promptTokens", "ai.usage.tokens")
_OUTPUT_TOKENS: Final = (*K.OUTPUT_TOKEN_KEYS, "ai.usage.outputTokens", "ai.usage.completionTokens")
_CACHE_READ: Final = (*K.CACHE_READ_TOKEN_KEYS, "ai.usage.cachedInputTokens")
_REASONING: Final = (*K.REASONING_TOKEN_KEYS, "ai.usage.reasoningTokens")
_TOTAL: Final = ("gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.token_count.total", "ai.usage.totalTokens")
_PROVIDER: Final = (*K.PROVIDER_KEYS, "ai.model.provider")
_REQUEST_MODEL: Final = (*K.REQUEST_MODEL_KEYS, "ai.model.id")
_RESPONSE_MODEL: Final = ("gen_ai.response.model", "llm.response.model_name", "ai.response.model")
_FINISH: Final = ("gen_ai.response.finish_reasons", "llm.finish_reason", "gen_ai.response.finish_reason",
                  "llm.response.finish_reason", "ai.response.finishReason")  # fmt: skip
_SESSION: Final = (*K.SESSION_KEYS, "ai.telemetry.metadata.sessionId", "ai.telemetry.metadata.session_id")
_USER: Final = (*K.USER_KEYS, "ai.telemetry.metadata.userId", "ai.telemetry.metadata.user_id")
_MAX_TOKENS: Final = ("gen_ai.request.max_tokens", "llm.request.max_tokens", "ai.settings.maxOutputTokens")
_CONTENT_PREFIXES: Final = (
    "gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt",
    "gen_ai.completion", "gen_ai.retrieval.documents", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
    "llm.input_messages", "llm.output_messages", "llm.prompts", "llm.choices", "ai.prompt", "ai.response.",
    "ai.toolCall.args", "ai.toolCall.result", "retrieval.documents", "reranker.output_documents", "input.value",
    "output.value", "traceloop.entity.input", "traceloop.entity.output",
)  # fmt: skip
"""Every attribute the content fields (messages, documents, tool I/O, generic I/O) are read from."""

_FIELDS: Final = FirstOf({
    "input_tokens": _INPUT_TOKENS, "output_tokens": _OUTPUT_TOKENS, "cache_read": _CACHE_READ,
    "cache_write": K.CACHE_WRITE_TOKEN_KEYS, "total": _TOTAL, "finish": _FINISH, "provider": _PROVIDER,
    "request_model": _REQUEST_MODEL, "response_model": _RESPONSE_MODEL,
    "response_id": ("gen_ai.response.id", "ai.response.id"), "reasoning": _REASONING, "max_tokens": _MAX_TOKENS,
    "session": _SESSION, "user": _USER, "agent": K.AGENT_KEYS,
    "tool_call_id": ("gen_ai.tool.call.id", "tool.id", "tool_call.id", "ai.toolCall.id"),
    "workflow": ("gen_ai.workflow.name", "traceloop.workflow.name", "ai.telemetry.functionId"),
    "tool": (*K.TOOL_KEYS, "ai.toolCall.name"),
    "tool_arguments": ("gen_ai.tool.call.arguments", "ai.toolCall.args"),
    "tool_result": ("gen_ai.tool.call.result", "ai.toolCall.result"),
    "input_text": ("input.value", "traceloop.entity.input", "ai.prompt"),
    "output_text": ("output.value", "traceloop.entity.output", "ai.response.text"),
    "tool_input": ("input.value", "traceloop.entity.input"),
    "tool_output": ("output.value", "traceloop.entity.output"),
})
"""Every canonical field read from a list of keys (first non-empty wins), resolved in one pass."""

Got = Callable[[str], object]
"""``dict.get`` of :meth:`FirstOf.pick`'s result."""


def detect_dialect(attributes: Attributes) -> Dialect:
    """Return the attribute dialect; the first rule of reference §4.3 that matches wins."""
    if "openinference.span.kind" in attributes:
        return Dialect.OPENINFERENCE
    if "llm.request.type" in attributes or "llm.usage.total_tokens" in attributes:
        return Dialect.OPENLLMETRY
    for key in attributes:
        if key.startswith(("traceloop.", "gen_ai.prompt.0.", "gen_ai.completion.0.")):
            return Dialect.OPENLLMETRY
    if "ai.operationId" in attributes:
        return Dialect.VERCEL_AI
    if any(k in attributes for k in ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system")):
        return Dialect.OTEL_GENAI
    return Dialect.UNKNOWN


def normalize(attributes: Mapping[str, object], span_name: str = "", *, content: bool = True) -> NormalizedSpan:
    """Return the canonical GenAI fields of one span.

    Args:
        attributes: Span attributes (values as decoded from OTLP; JSON strings are parsed).
        span_name: The span name, used when the operation is not in the attributes.
        content: Also extract messages, documents, tool I/O and generic I/O (the costly part). The
            cost calculator passes ``False``; finish reasons then come from attributes only.
    """
    if content and not any(key.startswith(_CONTENT_PREFIXES) for key in attributes):
        content = False  # nothing to extract (DB, HTTP, embedding spans …): same record, far cheaper
    dialect = detect_dialect(attributes)
    got = _FIELDS.pick(attributes).get
    operation = _operation(attributes, span_name, dialect, got("input_tokens") is not None)
    tool_like = operation is Operation.EXECUTE_TOOL
    tl_kind = as_str(attributes.get("traceloop.span.kind"))
    tl_entity = as_str(attributes.get("traceloop.entity.name"))

    input_tokens = as_int(got("input_tokens"))
    output_tokens = as_int(got("output_tokens"))
    cache_read = as_int(got("cache_read"))
    cache_write = as_int(got("cache_write"))
    cached = (cache_read or 0) + (cache_write or 0)
    if input_tokens is not None and cached > input_tokens:
        input_tokens += cached  # the instrumentation reported uncached input only (Anthropic style)
    total = as_int(got("total"))
    if total is None and input_tokens is not None and output_tokens is not None:
        total = input_tokens + output_tokens

    roots = flattened_roots(attributes) if content else frozenset()
    output_messages = msgs.output_messages(attributes, roots) if content else ()
    finish = as_str_list(got("finish")) or tuple(
        m.finish_reason for m in output_messages if m.finish_reason
    )

    return NormalizedSpan(
        dialect=dialect,
        operation=operation,
        provider=_provider(as_str(got("provider"))),
        request_model=as_str(got("request_model")),
        response_model=as_str(got("response_model")),
        response_id=as_str(got("response_id")),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=as_int(got("reasoning")),
        total_tokens=total,
        finish_reasons=finish,
        request_max_tokens=as_int(got("max_tokens")),
        session_id=as_str(got("session")),
        user_id=as_str(got("user")),
        agent_name=as_str(got("agent")) or (tl_entity if tl_kind == "agent" else None),
        workflow_name=_workflow(attributes, got, span_name, operation),
        tool_name=_tool_name(got, tl_kind, tl_entity, tool_like),
        tool_call_id=as_str(got("tool_call_id")),
        tool_arguments=_tool_io(got, "tool_arguments", "tool_input", tool_like)
        if content
        else None,
        tool_result=_tool_io(got, "tool_result", "tool_output", tool_like)
        if content
        else None,
        input_messages=msgs.input_messages(attributes, roots) if content else (),
        output_messages=output_messages,
        documents=msgs.documents(attributes, roots) if content else (),
        input_text=as_str(got("input_text"))
        if content
        else None,
        output_text=as_str(got("output_text"))
        if content
        else None,
        reported_cost_usd=as_float(attributes.get("llm.cost.total")),
    )


def _operation(attributes: Attributes, span_name: str, dialect: Dialect, has_input_tokens: bool) -> Operation:
    name = as_str(attributes.get("gen_ai.operation.name"))
    if name and (op := _OPERATIONS.get(name.lower())) is not None:
        return op
    if (kind := as_str(attributes.get("openinference.span.kind"))) is not None:
        op = _OI_KINDS.get(kind.upper(), Operation.UNKNOWN)
        if op is Operation.CHAT and any(k.startswith("llm.prompts.") for k in attributes):
            return Operation.TEXT_COMPLETION
        return op
    for key in ("llm.request.type", "traceloop.span.kind"):
        value = as_str(attributes.get(key))
        if value and (op := _OPERATIONS.get(value.lower())) is not None:
            return op
    if (vercel := as_str(attributes.get("ai.operationId"))) is not None:
        return _vercel_operation(vercel)
    match = _SPAN_NAME_OP.search(span_name)
    if match is not None:
        word = match.group(1) or match.group(2)
        return _OPERATIONS.get(word, Operation.UNKNOWN)
    if dialect is not Dialect.UNKNOWN and has_input_tokens:
        return Operation.CHAT
    return Operation.UNKNOWN


def _vercel_operation(operation_id: str) -> Operation:
    if _VERCEL_MODEL_CALL.match(operation_id):
        return Operation.CHAT
    if operation_id.endswith(".doEmbed"):
        return Operation.EMBEDDINGS
    if operation_id == "ai.toolCall":
        return Operation.EXECUTE_TOOL
    return Operation.INVOKE_WORKFLOW  # ai.generateText, ai.streamText, ai.embed …: the wrapper span


def _provider(raw: str | None) -> str | None:
    if not raw:
        return None
    name = raw.strip().lower()
    if name in _PROVIDERS:
        return _PROVIDERS[name]
    head = name.split(".", 1)[0]  # Vercel "openai.responses", "anthropic.messages"
    if head in ("openai", "anthropic", "cohere", "groq", "deepseek", "perplexity", "mistral", "google"):
        return _PROVIDERS.get(head, head)
    return name


def _workflow(attributes: Attributes, got: Got, span_name: str, operation: Operation) -> str | None:
    name = as_str(got("workflow"))
    if name is None and operation is Operation.INVOKE_WORKFLOW and "openinference.span.kind" in attributes:
        return span_name or None
    return name


def _tool_name(got: Got, tl_kind: str | None, tl_entity: str | None, tool_like: bool) -> str | None:
    name = as_str(got("tool"))
    if name is None and tool_like and tl_kind == "tool":
        return tl_entity
    return name


def _tool_io(got: Got, field: str, generic: str, tool_like: bool) -> str | None:
    """Tool arguments or result; generic I/O (``input.value`` …) only counts on tool spans."""
    value = as_str(got(field))
    if value is None and tool_like:
        value = as_str(got(generic))
    return value
