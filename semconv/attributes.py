"""Attribute names the AgentState SDK writes on spans, and the kinds of ``@observe`` spans.

The strings follow the OpenTelemetry GenAI semantic conventions (semantic-conventions v1.41.0,
``docs/registry/attributes/gen-ai.md``) where one exists, OpenInference's generic I/O keys for
captured arguments, and an ``agentstate.*`` namespace for the rest. They are hard-coded rather than
imported from ``opentelemetry-semantic-conventions`` because the GenAI constants there are marked
deprecated from 0.65b0 on; the strings themselves are the contract with the server, which computes
its normalised ClickHouse columns from them. This module depends on nothing.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

# --- GenAI operation and span identity -------------------------------------------------------------

GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
"""Operation of a GenAI span: ``chat``, ``execute_tool``, ``invoke_agent``, ``invoke_workflow`` …"""

GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
"""Model provider, e.g. ``openai``, ``anthropic``, ``aws.bedrock``."""

GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
"""Model name the application asked for."""

GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
"""Model name that actually answered (may carry a version suffix)."""

GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
"""Provider's identifier of the completion."""

GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
"""String array of finish reasons, one per choice, e.g. ``["stop"]``."""

GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
"""Conversation/thread identifier; the SDK sets it to the session id."""

GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
"""Name of the agent an ``invoke_agent`` span runs."""

GEN_AI_WORKFLOW_NAME: Final = "gen_ai.workflow.name"
"""Name of the workflow (or chain) an ``invoke_workflow`` span runs."""

GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
"""Name of the tool an ``execute_tool`` span runs."""

GEN_AI_TOOL_TYPE: Final = "gen_ai.tool.type"
"""Tool type: ``function`` for decorated Python functions."""

GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
"""JSON string of the arguments a tool was called with."""

GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
"""JSON string of the value a tool returned."""

GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
"""JSON string: the chat history sent to the model, in the OTel parts format."""

GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
"""JSON string: the messages the model returned, in the OTel parts format with ``finish_reason``."""

GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
"""JSON string: system instructions given apart from the chat history, as a list of parts."""

# --- Token usage --------------------------------------------------------------------------------

GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
"""Input (prompt) tokens, cache reads and writes included."""

GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
"""Output (completion) tokens, reasoning included."""

GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
"""Input tokens served from the provider's prompt cache."""

GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
"""Input tokens written to the provider's prompt cache."""

GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
"""Output tokens spent on reasoning."""

# --- Generic captured input/output (OpenInference keys) -------------------------------------------

INPUT_VALUE: Final = "input.value"
"""JSON string of a decorated function's arguments, keyed by parameter name."""

INPUT_MIME_TYPE: Final = "input.mime_type"
"""MIME type of :data:`INPUT_VALUE`; always ``application/json`` from the SDK."""

OUTPUT_VALUE: Final = "output.value"
"""JSON string of a decorated function's return value (or of the items a generator yielded)."""

OUTPUT_MIME_TYPE: Final = "output.mime_type"
"""MIME type of :data:`OUTPUT_VALUE`; always ``application/json`` from the SDK."""

JSON_MIME_TYPE: Final = "application/json"
"""The value written to :data:`INPUT_MIME_TYPE` and :data:`OUTPUT_MIME_TYPE`."""

# --- Session, user, tags, metadata ------------------------------------------------------------

SESSION_ID: Final = "session.id"
"""Session the span belongs to (from ``propagate_attributes(session_id=...)``)."""

USER_ID: Final = "user.id"
"""End user the span acts for."""

TAGS: Final = "agentstate.tags"
"""String array of free-form tags."""

METADATA_PREFIX: Final = "agentstate.metadata."
"""Prefix of user metadata keys: ``agentstate.metadata.<key>``."""

# --- AgentState span classification and errors -----------------------------------------------

SPAN_KIND: Final = "agentstate.span.kind"
"""The :class:`ObserveKind` value of an ``@observe`` span, used by the UI to colour spans."""

CODE_FUNCTION: Final = "code.function.name"
"""Qualified name of the decorated Python function."""

GENERATOR_ITEMS: Final = "agentstate.generator.items"
"""Number of items a decorated generator yielded before it finished or was closed."""

REDACTED: Final = "agentstate.redacted"
"""What the SDK's scrubber redacted in this span, as counts only: compact JSON mapping each
attribute key (``<event name>/<key>`` for event attributes) to ``{type: count}``, e.g.
``{"gen_ai.output.messages":{"US_SSN":1}}``. The security engine alerts on it: a model that
printed an SSN leaked it even though the value never left the process."""

SCRUBBED_MARK: Final = "agentstate.scrubbed"
"""Resource attribute (``"true"``) our SDK adds when it scrubbed the spans before export; the writer
then skips its own scrubbing pass for them."""

ERROR_TYPE: Final = "error.type"
"""Fully qualified class name of the exception that ended the span."""

EXCEPTION_EVENT: Final = "exception"
"""Name of the span event recording an exception (OTel exception semantic conventions)."""

EXCEPTION_TYPE: Final = "exception.type"
"""Event attribute: fully qualified class name of the exception."""

EXCEPTION_MESSAGE: Final = "exception.message"
"""Event attribute: the exception's message (``str(exc)``)."""

EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
"""Event attribute: the formatted traceback, capped at 32 KiB."""

SERVICE_NAME: Final = "service.name"
"""Resource attribute set from ``init(service_name=...)`` when the SDK creates the provider."""


class ObserveKind(str, Enum):
    """What an ``@observe`` span stands for; the value is written to :data:`SPAN_KIND`."""

    AGENT = "agent"
    """An agent run: ``invoke_agent {name}``."""
    LLM = "llm"
    """A model call: ``chat {model}``."""
    TOOL = "tool"
    """A tool execution: ``execute_tool {name}``."""
    RETRIEVAL = "retrieval"
    """A retrieval step: ``retrieval {name}``."""
    CHAIN = "chain"
    """A chain of steps: ``invoke_workflow {name}``."""
    WORKFLOW = "workflow"
    """A workflow: ``invoke_workflow {name}``."""
    EMBEDDING = "embedding"
    """An embeddings call: ``embeddings {name}``."""
    SPAN = "span"
    """Any other function: the span is named after the function."""


OPERATION_BY_KIND: Final[dict[ObserveKind, str]] = {
    ObserveKind.AGENT: "invoke_agent",
    ObserveKind.LLM: "chat",
    ObserveKind.TOOL: "execute_tool",
    ObserveKind.RETRIEVAL: "retrieval",
    ObserveKind.CHAIN: "invoke_workflow",
    ObserveKind.WORKFLOW: "invoke_workflow",
    ObserveKind.EMBEDDING: "embeddings",
}
"""``gen_ai.operation.name`` of each kind; :attr:`ObserveKind.SPAN` has none."""
