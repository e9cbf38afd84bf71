"""The one dialect table: what each normalised GenAI field is called in every attribute dialect.

Spans arrive in five attribute vocabularies: the OpenTelemetry GenAI conventions (current names),
OpenLLMetry's ``gen_ai`` generation (which also covers the OTel GenAI names before v1.28:
``gen_ai.system``, ``gen_ai.usage.prompt_tokens`` …), OpenInference (``llm.*``, ``input.value``),
OpenLLMetry's first generation (``traceloop.*``) and the Vercel AI SDK (``ai.*``); a sixth entry
holds our SDK's span kinds (``agentstate.span.kind``). Each is one :class:`DialectEntry` in
:data:`DIALECTS`. Everything else here is *derived* from that tuple, and
both normalisers are generated from it: the ClickHouse ``DEFAULT`` expressions
(``processors/clickhouse_schema.py``) and the in-process normaliser (``processors/normalize.py``).
A new dialect is one entry plus its spans in ``tests/processors/golden/added_spans.json``.

Precedence: a field's keys are tried in :data:`DIALECTS` order, each entry's keys in the order it
lists them; the first key present with a non-empty value wins (mixed spans, such as OpenLLMetry
writing ``gen_ai.*`` beside ``llm.*``, resolve the same way everywhere). Values are plain strings
(``Dialect`` and ``Operation`` values of ``agentstate.semconv.span_record``) so this module depends on
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple


class OperationRule(NamedTuple):
    """How one attribute's value names the span's operation.

    Attributes:
        key: The attribute read.
        rank: Rules are tried in ascending rank over all dialects (the first that decides wins).
        fold: ``"lower"`` or ``"upper"``: the case the value is folded to before :attr:`values`.
        values: Folded value -> operation value.
        decisive: When the key is present the rule decides even if nothing matches (the result is
            then :attr:`default`); otherwise an unmatched or empty value falls through to the next rule.
        patterns: ``(regex, operation)`` tried on the raw value after :attr:`values`, in order; the
            regexes stay within the syntax Python ``re`` and ClickHouse's RE2 share.
        suffixes: ``(suffix, operation)`` tried on the raw value after :attr:`patterns`.
        default: Operation of a decisive rule when nothing matched.
        refine: ``(operation, key prefix, operation)``: when the result is the first and any attribute
            key starts with the prefix, the result becomes the second (OpenInference completions).
    """

    key: str
    rank: int
    fold: str = "lower"
    values: Mapping[str, str] = MappingProxyType({})
    decisive: bool = False
    patterns: tuple[tuple[str, str], ...] = ()
    suffixes: tuple[tuple[str, str], ...] = ()
    default: str = "unknown"
    refine: tuple[tuple[str, str, str], ...] = ()


class DialectEntry(NamedTuple):
    """One attribute dialect: how to recognise it, what it calls each field, how it names operations.

    Attributes:
        name: Short identifier of the entry.
        dialect: The ``Dialect`` value a span recognised by this entry gets.
        detect_rank: Detection tries entries in ascending rank; the first whose keys or prefixes
            the span has wins (``None``: this entry recognises nothing on its own).
        detect_keys: Attribute keys whose presence identifies the dialect.
        detect_prefixes: Key prefixes whose presence identifies the dialect.
        fields: Normalised field -> this dialect's keys for it, in priority order.
        operations: How this dialect names operations.
        content_prefixes: Key prefixes of the content (messages, documents, tool and generic I/O)
            this dialect writes; a span with none of any dialect skips content extraction.
    """

    name: str
    dialect: str
    detect_rank: int | None
    detect_keys: tuple[str, ...]
    detect_prefixes: tuple[str, ...]
    fields: Mapping[str, tuple[str, ...]]
    operations: tuple[OperationRule, ...] = ()
    content_prefixes: tuple[str, ...] = ()


# --- Operation vocabularies -----------------------------------------------------------------------

OPERATIONS: Final[tuple[str, ...]] = (
    "chat", "text_completion", "generate_content", "embeddings", "retrieval", "rerank", "execute_tool",
    "create_agent", "invoke_agent", "invoke_workflow", "task", "guardrail", "evaluation", "unknown",
)  # fmt: skip
"""Every normalised operation value (``Operation`` of ``agentstate.semconv.span_record``)."""

UNKNOWN_OPERATION: Final = "unknown"
"""The operation of a span no rule recognises; stored as ``''`` in ClickHouse."""

OPERATION_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {op: op for op in OPERATIONS}
    | {
        "completion": "text_completion",
        "embedding": "embeddings",
        "embed": "embeddings",
        "tool": "execute_tool",
        "agent": "invoke_agent",
        "workflow": "invoke_workflow",
        "chain": "invoke_workflow",
    }
)
"""Lower-cased ``gen_ai.operation.name``, ``llm.request.type`` and ``traceloop.span.kind`` values
(and span-name words) -> operation."""

OPENINFERENCE_KINDS: Final[Mapping[str, str]] = MappingProxyType({
    "LLM": "chat", "EMBEDDING": "embeddings", "RETRIEVER": "retrieval", "RERANKER": "rerank",
    "TOOL": "execute_tool", "AGENT": "invoke_agent", "CHAIN": "invoke_workflow", "GUARDRAIL": "guardrail",
    "EVALUATOR": "evaluation",
})  # fmt: skip
"""Upper-cased ``openinference.span.kind`` -> operation."""

SPAN_NAME_PATTERNS: Final[tuple[str, ...]] = (
    r"^(chat|text_completion|generate_content|embeddings|execute_tool|invoke_agent|create_agent"
    r"|invoke_workflow|retrieval)\b",
    r"\.(chat|completion|embeddings?)$",
)
"""When no attribute names the operation: regexes on the span name, tried in order; the first
group, through :data:`OPERATION_ALIASES`, is the operation (``chat gpt-4o``, ``openai.chat``)."""

TOKENS_MEAN_CHAT: Final = True
"""A span of a recognised dialect that reports input tokens but names no operation is a chat."""

STEP_KINDS: Final[Mapping[str, str]] = MappingProxyType({
    "chat": "llm", "text_completion": "llm", "generate_content": "llm", "completion": "llm", "llm": "llm",
    "execute_tool": "tool", "tool": "tool",
    "invoke_agent": "agent", "create_agent": "agent", "agent": "agent",
    "embeddings": "embedding", "embedding": "embedding",
    "retrieval": "retrieval", "retriever": "retrieval", "retrieve": "retrieval",
    "invoke_workflow": "workflow", "workflow": "workflow", "chain": "workflow",
})  # fmt: skip
"""Stored operation (lower-cased) -> the kind of step the API and UI show. Besides the normalised
values it keeps the spellings rows written before the dialect table may hold (``completion``,
``retriever`` …)."""

# --- Providers ------------------------------------------------------------------------------------

PROVIDER_ALIASES: Final[Mapping[str, str]] = MappingProxyType({
    "az.ai.openai": "azure.ai.openai", "azure": "azure.ai.openai", "azure_openai": "azure.ai.openai",
    "mistralai": "mistral_ai", "mistral": "mistral_ai", "vertexai": "gcp.vertex_ai", "vertex_ai": "gcp.vertex_ai",
    "google": "gcp.gemini", "gemini": "gcp.gemini", "aws": "aws.bedrock", "bedrock": "aws.bedrock", "xai": "x_ai",
    "watsonx": "ibm.watsonx.ai",
})  # fmt: skip
"""Lower-cased legacy or vendor-specific provider names -> OTel ``gen_ai.provider.name`` values."""

PROVIDER_HEADS: Final[tuple[str, ...]] = (
    "openai", "anthropic", "cohere", "groq", "deepseek", "perplexity", "mistral", "google",
)  # fmt: skip
"""Providers named with a product suffix (Vercel ``openai.responses``, ``anthropic.messages``): the
part before the first dot, through :data:`PROVIDER_ALIASES`, is the provider."""

# --- The table ------------------------------------------------------------------------------------

_F = MappingProxyType

DIALECTS: Final[tuple[DialectEntry, ...]] = (
    DialectEntry(
        name="otel_genai", dialect="otel_genai", detect_rank=3,
        detect_keys=("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system"), detect_prefixes=(),
        fields=_F({
            "provider": ("gen_ai.provider.name",),
            "request_model": ("gen_ai.request.model",),
            "response_model": ("gen_ai.response.model",),
            "response_id": ("gen_ai.response.id",),
            "input_tokens": ("gen_ai.usage.input_tokens",),
            "output_tokens": ("gen_ai.usage.output_tokens",),
            "cache_read_tokens": ("gen_ai.usage.cache_read.input_tokens",),
            # cache_write: the anthropic SDK's own tracing (2.x); cache_creation: the semconv registry's name
            "cache_write_tokens": ("gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens"),
            "reasoning_tokens": ("gen_ai.usage.reasoning.output_tokens",),
            "finish_reasons": ("gen_ai.response.finish_reasons",),
            "request_max_tokens": ("gen_ai.request.max_tokens",),
            "session_id": ("session.id", "gen_ai.conversation.id"),
            "user_id": ("user.id", "enduser.id"),
            "agent_name": ("gen_ai.agent.name",),
            "workflow_name": ("gen_ai.workflow.name",),
            "tool_name": ("gen_ai.tool.name",),
            "tool_call_id": ("gen_ai.tool.call.id",),
            "tool_arguments": ("gen_ai.tool.call.arguments",),
            "tool_result": ("gen_ai.tool.call.result",),
        }),
        operations=(OperationRule("gen_ai.operation.name", rank=0, values=OPERATION_ALIASES),),
        content_prefixes=(
            "gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages",
            "gen_ai.retrieval.documents", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
        ),
    ),
    DialectEntry(  # also the OTel GenAI names before v1.28, which OpenLLMetry kept
        name="openllmetry", dialect="openllmetry", detect_rank=1,
        detect_keys=("llm.request.type", "llm.usage.total_tokens"),
        detect_prefixes=("gen_ai.prompt.0.", "gen_ai.completion.0."),
        fields=_F({
            "provider": ("gen_ai.system",),
            "input_tokens": ("gen_ai.usage.prompt_tokens",),
            "output_tokens": ("gen_ai.usage.completion_tokens",),
            "cache_read_tokens": ("gen_ai.usage.cache_read_input_tokens",),
            "cache_write_tokens": ("gen_ai.usage.cache_creation_input_tokens",),
            "reasoning_tokens": ("gen_ai.usage.reasoning_tokens",),
            "total_tokens": ("gen_ai.usage.total_tokens", "llm.usage.total_tokens"),
            "finish_reasons": ("llm.finish_reason", "gen_ai.response.finish_reason"),
            "request_max_tokens": ("llm.request.max_tokens",),
        }),
        operations=(OperationRule("llm.request.type", rank=2, values=OPERATION_ALIASES),),
        content_prefixes=("gen_ai.prompt", "gen_ai.completion"),
    ),
    DialectEntry(
        name="openinference", dialect="openinference", detect_rank=0,
        detect_keys=("openinference.span.kind",), detect_prefixes=(),
        fields=_F({
            "provider": ("llm.provider", "llm.system"),
            "request_model": ("llm.request.model_name", "llm.model_name", "embedding.model_name"),
            "response_model": ("llm.response.model_name",),
            "input_tokens": ("llm.token_count.prompt",),
            "output_tokens": ("llm.token_count.completion",),
            "cache_read_tokens": ("llm.token_count.prompt_details.cache_read",),
            "cache_write_tokens": ("llm.token_count.prompt_details.cache_write",),
            "reasoning_tokens": ("llm.token_count.completion_details.reasoning",),
            "total_tokens": ("llm.token_count.total",),
            "agent_name": ("agent.name",),
            "tool_name": ("tool.name",),
            "tool_call_id": ("tool.id", "tool_call.id"),
            "input_text": ("input.value",),
            "output_text": ("output.value",),
            "tool_input": ("input.value",),
            "tool_output": ("output.value",),
            "reported_cost_usd": ("llm.cost.total",),
        }),
        operations=(
            OperationRule(
                "openinference.span.kind", rank=1, fold="upper", values=OPENINFERENCE_KINDS, decisive=True,
                refine=(("chat", "llm.prompts.", "text_completion"),),
            ),
        ),
        content_prefixes=(
            "llm.input_messages", "llm.output_messages", "llm.prompts", "llm.choices", "retrieval.documents",
            "reranker.output_documents", "input.value", "output.value",
        ),
    ),
    DialectEntry(
        name="traceloop", dialect="openllmetry", detect_rank=1,
        detect_keys=(), detect_prefixes=("traceloop.",),
        fields=_F({
            "finish_reasons": ("llm.response.finish_reason",),
            "session_id": ("traceloop.association.properties.session_id",),
            "user_id": ("traceloop.association.properties.user_id",),
            "workflow_name": ("traceloop.workflow.name",),
            "input_text": ("traceloop.entity.input",),
            "output_text": ("traceloop.entity.output",),
            "tool_input": ("traceloop.entity.input",),
            "tool_output": ("traceloop.entity.output",),
        }),
        operations=(OperationRule("traceloop.span.kind", rank=3, values=OPERATION_ALIASES),),
        content_prefixes=("traceloop.entity.input", "traceloop.entity.output"),
    ),
    DialectEntry(
        name="vercel_ai", dialect="vercel_ai", detect_rank=2,
        detect_keys=("ai.operationId",), detect_prefixes=(),
        fields=_F({
            "provider": ("ai.model.provider",),
            "request_model": ("ai.model.id",),
            "response_model": ("ai.response.model",),
            "response_id": ("ai.response.id",),
            "input_tokens": ("ai.usage.inputTokens", "ai.usage.promptTokens", "ai.usage.tokens"),
            "output_tokens": ("ai.usage.outputTokens", "ai.usage.completionTokens"),
            "cache_read_tokens": ("ai.usage.cachedInputTokens",),
            "reasoning_tokens": ("ai.usage.reasoningTokens",),
            "total_tokens": ("ai.usage.totalTokens",),
            "finish_reasons": ("ai.response.finishReason",),
            "request_max_tokens": ("ai.settings.maxOutputTokens",),
            "session_id": ("ai.telemetry.metadata.sessionId", "ai.telemetry.metadata.session_id"),
            "user_id": ("ai.telemetry.metadata.userId", "ai.telemetry.metadata.user_id"),
            "workflow_name": ("ai.telemetry.functionId",),
            "tool_name": ("ai.toolCall.name",),
            "tool_call_id": ("ai.toolCall.id",),
            "tool_arguments": ("ai.toolCall.args",),
            "tool_result": ("ai.toolCall.result",),
            "input_text": ("ai.prompt",),
            "output_text": ("ai.response.text",),
        }),
        operations=(
            OperationRule(
                "ai.operationId", rank=4, fold="", decisive=True, default="invoke_workflow",
                values=_F({"ai.toolCall": "execute_tool"}),
                patterns=((r"^ai\.(?:generate|stream)(?:Text|Object)\.do(?:Generate|Stream)$", "chat"),),
                suffixes=((".doEmbed", "embeddings"),),
            ),
        ),
        content_prefixes=("ai.prompt", "ai.response.", "ai.toolCall.args", "ai.toolCall.result"),
    ),
    DialectEntry(  # our SDK writes gen_ai.operation.name too; this covers its kind-only spans
        name="agentstate", dialect="otel_genai", detect_rank=None, detect_keys=(), detect_prefixes=(),
        fields=_F({}),
        operations=(
            OperationRule("agentstate.span.kind", rank=5, values=_F({
                "agent": "invoke_agent", "llm": "chat", "tool": "execute_tool", "retrieval": "retrieval",
                "chain": "invoke_workflow", "workflow": "invoke_workflow", "embedding": "embeddings",
            })),
        ),
    ),
)  # fmt: skip
"""Every dialect, in field-precedence order (see the module docstring)."""


def field_keys(entries: tuple[DialectEntry, ...]) -> Mapping[str, tuple[str, ...]]:
    """Every field's keys over ``entries``, in entry order then each entry's order, without repeats."""
    merged: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        for field, keys in entry.fields.items():
            held = merged.get(field, ())
            merged[field] = held + tuple(k for k in keys if k not in held)
    return MappingProxyType(merged)


FIELD_KEYS: Final[Mapping[str, tuple[str, ...]]] = field_keys(DIALECTS)
"""Normalised field -> every key it is read from, in precedence order (first non-empty wins)."""

MODEL_KEYS: Final[tuple[str, ...]] = FIELD_KEYS["response_model"] + FIELD_KEYS["request_model"]
"""The model to bill and to show: the answering model, else the requested one."""

DETECTION: Final[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = tuple(
    (e.dialect, e.detect_keys, e.detect_prefixes)
    for e in sorted((e for e in DIALECTS if e.detect_rank is not None), key=lambda e: e.detect_rank or 0)
)
"""``(dialect, keys, prefixes)`` in detection order: the first whose key or prefix a span has wins;
a span matching none is of the ``unknown`` dialect."""

OPERATION_RULES: Final[tuple[OperationRule, ...]] = tuple(
    sorted((rule for e in DIALECTS for rule in e.operations), key=lambda r: r.rank)
)
"""Every dialect's operation rules, in the order they are tried."""

CONTENT_PREFIXES: Final[tuple[str, ...]] = tuple(dict.fromkeys(p for e in DIALECTS for p in e.content_prefixes))
"""Every key prefix content fields are read from."""

# --- Fallbacks that span two fields ---------------------------------------------------------------

ENTITY_KIND_KEY: Final = "traceloop.span.kind"
"""OpenLLMetry's span kind (``agent``, ``tool``, ``workflow``, ``task``)."""

ENTITY_NAME_KEY: Final = "traceloop.entity.name"
"""OpenLLMetry's entity name: the agent's name on ``agent`` spans, the tool's on ``tool`` spans."""

ENTITY_FALLBACKS: Final[Mapping[str, str]] = MappingProxyType({"agent_name": "agent", "tool_name": "tool"})
"""Field -> the :data:`ENTITY_KIND_KEY` value under which :data:`ENTITY_NAME_KEY` fills it when no
key names it (``tool_name`` only on ``execute_tool`` spans)."""

SPAN_NAME_IS_WORKFLOW: Final = "openinference.span.kind"
"""On an ``invoke_workflow`` span with this key and no workflow name, the span name is the workflow."""

# --- Content (messages, documents): read by the normaliser and the trace API ----------------------

SYSTEM_INSTRUCTIONS_KEY: Final = "gen_ai.system_instructions"
"""System instructions given apart from the chat history (OTel GenAI)."""

INPUT_MESSAGE_LISTS: Final[tuple[str, ...]] = (
    "gen_ai.input.messages",
    "llm.input_messages",
    "gen_ai.prompt",
    "ai.prompt.messages",
)
"""Keys holding the input messages as a list, whole (JSON) or flattened under ``key.N.…``."""

OUTPUT_MESSAGE_LISTS: Final[tuple[str, ...]] = ("gen_ai.output.messages", "llm.output_messages", "gen_ai.completion")
"""Keys holding the output messages as a list, whole or flattened."""

PROMPT_TEXT_LIST: Final = "llm.prompts"
"""OpenInference completions prompts (``llm.prompts.N.prompt.text``)."""

CHOICE_TEXT_LIST: Final = "llm.choices"
"""OpenInference completions choices (``llm.choices.N.completion.text``)."""

LEGACY_PROMPT_TEXT: Final = "gen_ai.prompt"
"""A single prompt as plain text (OTel GenAI before the messages attributes)."""

LEGACY_COMPLETION_TEXT: Final = "gen_ai.completion"
"""A single completion as plain text."""

VERCEL_PROMPT: Final = "ai.prompt"
"""Vercel's prompt object (``system``, ``messages`` or ``prompt``) as JSON."""

VERCEL_OUTPUT_TEXT_KEYS: Final[tuple[str, ...]] = ("ai.response.text", "ai.response.object")
"""Vercel's response text, else its structured object."""

VERCEL_TOOL_CALLS: Final = "ai.response.toolCalls"
"""Vercel's requested tool calls, as JSON."""

VERCEL_FINISH_REASON: Final = "ai.response.finishReason"
"""Vercel's finish reason, put on its single output message."""

DOCUMENT_LISTS: Final[tuple[str, ...]] = ("retrieval.documents", "reranker.output_documents")
"""OpenInference document lists (``….N.document.content``); the first non-empty one is read."""

DOCUMENTS_JSON: Final = "gen_ai.retrieval.documents"
"""OTel GenAI retrieved documents, a JSON list."""

# --- What the trace API shows as the instrumentation wrote it (no re-shaping) -----------------------

API_MESSAGE_LISTS: Final[Mapping[str, tuple[str, tuple[str, ...]]]] = MappingProxyType({
    "input": ("gen_ai.input.messages",
              (r"^llm\.input_messages\.(\d+)\.message\.(.+)$", r"^gen_ai\.prompt\.(\d+)\.(.+)$")),
    "output": ("gen_ai.output.messages",
               (r"^llm\.output_messages\.(\d+)\.message\.(.+)$", r"^gen_ai\.completion\.(\d+)\.(.+)$")),
})  # fmt: skip
"""Direction -> (JSON key, flattened-key regexes with groups index and field) of a span's messages."""

API_TOOL_ARGUMENTS: Final[tuple[str, ...]] = ("gen_ai.tool.call.arguments", "tool.parameters")
"""A tool's arguments, first non-empty wins."""

API_TOOL_RESULT: Final[tuple[str, ...]] = ("gen_ai.tool.call.result",)
"""What a tool returned."""

API_IO: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {"input": FIELD_KEYS["tool_input"], "output": FIELD_KEYS["tool_output"]}
)
"""Direction -> keys of any span's generic input or output (OpenInference, OpenLLMetry entities)."""
