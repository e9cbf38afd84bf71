"""The normalised span record: one shape for every attribute dialect.

Spans arrive as OpenTelemetry GenAI (old and new generation), OpenInference, OpenLLMetry or Vercel
AI SDK attributes. ``agentstate.processors.normalize`` turns any of them into a
:class:`NormalizedSpan`, which the cost calculator and the security detectors read. Raw attributes
are never modified; this record lives beside them.

Token semantics follow the OTel GenAI conventions: ``input_tokens`` includes cache reads and writes,
``output_tokens`` includes reasoning tokens.
"""

from __future__ import annotations

from dataclasses import field
from enum import Enum
from typing import Final

from agentstate.semconv.value_record import record


class Operation(str, Enum):
    """What a span does, in OTel GenAI terms (``gen_ai.operation.name`` plus a few extensions)."""

    CHAT = "chat"
    TEXT_COMPLETION = "text_completion"
    GENERATE_CONTENT = "generate_content"
    EMBEDDINGS = "embeddings"
    RETRIEVAL = "retrieval"
    RERANK = "rerank"
    EXECUTE_TOOL = "execute_tool"
    CREATE_AGENT = "create_agent"
    INVOKE_AGENT = "invoke_agent"
    INVOKE_WORKFLOW = "invoke_workflow"
    TASK = "task"
    GUARDRAIL = "guardrail"
    EVALUATION = "evaluation"
    UNKNOWN = "unknown"


class SpanCategory(str, Enum):
    """Coarse span type used for dashboards and for choosing which detectors run."""

    LLM = "llm"
    EMBEDDING = "embedding"
    TOOL = "tool"
    RETRIEVAL = "retrieval"
    AGENT = "agent"
    WORKFLOW = "workflow"
    OTHER = "other"


class Dialect(str, Enum):
    """Attribute convention a span was written in (first match of reference §4.3 wins)."""

    OTEL_GENAI = "otel_genai"
    OPENINFERENCE = "openinference"
    OPENLLMETRY = "openllmetry"
    VERCEL_AI = "vercel_ai"
    UNKNOWN = "unknown"


MODEL_OPERATIONS: Final = frozenset(
    {Operation.CHAT, Operation.TEXT_COMPLETION, Operation.GENERATE_CONTENT, Operation.EMBEDDINGS}
)
"""Operations that call a model and are billed per token."""

_CATEGORY: Final = {
    Operation.CHAT: SpanCategory.LLM,
    Operation.TEXT_COMPLETION: SpanCategory.LLM,
    Operation.GENERATE_CONTENT: SpanCategory.LLM,
    Operation.EMBEDDINGS: SpanCategory.EMBEDDING,
    Operation.RETRIEVAL: SpanCategory.RETRIEVAL,
    Operation.RERANK: SpanCategory.RETRIEVAL,
    Operation.EXECUTE_TOOL: SpanCategory.TOOL,
    Operation.CREATE_AGENT: SpanCategory.AGENT,
    Operation.INVOKE_AGENT: SpanCategory.AGENT,
    Operation.INVOKE_WORKFLOW: SpanCategory.WORKFLOW,
    Operation.TASK: SpanCategory.WORKFLOW,
}


def category_of(operation: Operation) -> SpanCategory:
    """Return the coarse category of ``operation``."""
    return _CATEGORY.get(operation, SpanCategory.OTHER)


@record
class ToolCall:
    """A tool call requested by the model.

    Attributes:
        name: Tool (function) name.
        arguments: Arguments as the model produced them, usually a JSON string.
        id: Provider call ID, used to pair the call with its result.
    """

    name: str
    arguments: str = ""
    id: str | None = None


@record
class Message:
    """One chat message, whatever the dialect it came from.

    Attributes:
        role: ``system``, ``user``, ``assistant`` or ``tool``.
        content: Text content; text parts are joined with newlines.
        tool_calls: Tool calls an assistant message requests.
        tool_call_id: For ``tool`` messages, the call this is the result of.
        name: Optional participant or tool name.
        finish_reason: For output messages, why generation stopped.
    """

    role: str
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    finish_reason: str | None = None


def new_turn(messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """The messages after the model's last answer (all of them when there is none): what a model call
    adds to its conversation. Agents resend the whole history with every call; the earlier messages
    were new in an earlier call."""
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "assistant":
            return messages[i + 1 :]
    return messages


@record
class NormalizedSpan:
    """Canonical GenAI fields of one span (reference §4.3).

    Attributes:
        dialect: Convention the attributes were written in.
        operation: What the span does.
        provider: Normalised provider name (``openai``, ``anthropic``, ``aws.bedrock`` …).
        request_model: Model the caller asked for.
        response_model: Model that answered, when reported.
        response_id: Provider response ID.
        input_tokens: Prompt tokens, cache reads and writes included.
        output_tokens: Completion tokens, reasoning included.
        cache_read_tokens: Input tokens served from the prompt cache.
        cache_write_tokens: Input tokens written to the prompt cache.
        reasoning_tokens: Output tokens spent on reasoning.
        total_tokens: As reported, else input + output.
        finish_reasons: Why generation stopped, one per choice.
        request_max_tokens: The ``max_tokens`` the caller set.
        session_id: Session, conversation or thread.
        user_id: End user.
        agent_name: Agent that ran or owns the span.
        workflow_name: Workflow or chain.
        tool_name: Tool executed by an ``execute_tool`` span.
        tool_call_id: ID of that tool call.
        tool_arguments: Arguments of the tool call, as text.
        tool_result: Result of the tool call, as text.
        input_messages: Messages sent to the model (system instructions first).
        output_messages: Messages the model returned.
        documents: Retrieved documents' text (retrieval and reranker spans).
        input_text: Generic input (``input.value``, ``traceloop.entity.input``) when not messages.
        output_text: Generic output, likewise.
        reported_cost_usd: Cost the instrumentation computed itself (``llm.cost.total``), if any.
        redacted: What the SDK redacted before export, as ``(attribute key, type, count)``
            (from ``agentstate.redacted``); the values themselves are gone.
    """

    dialect: Dialect = Dialect.UNKNOWN
    operation: Operation = Operation.UNKNOWN
    provider: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    response_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    total_tokens: int | None = None
    finish_reasons: tuple[str, ...] = ()
    request_max_tokens: int | None = None
    session_id: str | None = None
    user_id: str | None = None
    agent_name: str | None = None
    workflow_name: str | None = None
    tool_name: str | None = None
    tool_call_id: str | None = None
    tool_arguments: str | None = None
    tool_result: str | None = None
    input_messages: tuple[Message, ...] = field(default=())
    output_messages: tuple[Message, ...] = field(default=())
    documents: tuple[str, ...] = ()
    input_text: str | None = None
    output_text: str | None = None
    reported_cost_usd: float | None = None
    redacted: tuple[tuple[str, str, int], ...] = ()

    @property
    def category(self) -> SpanCategory:
        """Coarse span type derived from :attr:`operation`."""
        return category_of(self.operation)

    @property
    def model(self) -> str | None:
        """The model to bill and to baseline: the response model, else the requested one."""
        return self.response_model or self.request_model

    @property
    def calls_model(self) -> bool:
        """Whether the span is a billable model call (chat, completion, embeddings)."""
        return self.operation in MODEL_OPERATIONS

    @property
    def has_usage(self) -> bool:
        """Whether any token count was reported."""
        return self.input_tokens is not None or self.output_tokens is not None
