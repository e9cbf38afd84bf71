"""Attribute keys, per dialect, from which the canonical GenAI fields are read.

One source for both normalisers: the ClickHouse column DEFAULT expressions
(``processors/clickhouse_schema.py``) and the Python normaliser. First match wins, OTel GenAI first,
then OpenInference, then OpenLLMetry (see reference §4.3).
"""

from __future__ import annotations

from typing import Final

OPERATION: Final = "gen_ai.operation.name"
"""OTel GenAI operation (``chat``, ``execute_tool``, ``invoke_agent`` …)."""

PROVIDER_KEYS: Final = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
"""Provider: OTel new, OTel legacy / OpenLLMetry, OpenInference."""

REQUEST_MODEL_KEYS: Final = (
    "gen_ai.request.model", "llm.request.model_name", "llm.model_name", "embedding.model_name",
)
"""Requested model."""

RESPONSE_MODEL_KEYS: Final = (
    "gen_ai.response.model", "llm.response.model_name", "llm.model_name", "gen_ai.request.model",
)
"""Model that answered (falls back to the requested one)."""

INPUT_TOKEN_KEYS: Final = (
    "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
)
"""Input (prompt) tokens, cache reads included."""

OUTPUT_TOKEN_KEYS: Final = (
    "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion",
)
"""Output (completion) tokens, reasoning included."""

CACHE_READ_TOKEN_KEYS: Final = (
    "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
)
"""Input tokens served from the provider's prompt cache."""

CACHE_WRITE_TOKEN_KEYS: Final = (
    "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
"""Input tokens written to the provider's prompt cache."""

REASONING_TOKEN_KEYS: Final = (
    "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
"""Reasoning tokens (included in output tokens)."""

SESSION_KEYS: Final = (
    "session.id", "gen_ai.conversation.id", "traceloop.association.properties.session_id",
)
"""Session / conversation / thread."""

USER_KEYS: Final = ("user.id", "enduser.id", "traceloop.association.properties.user_id")
"""End user."""

AGENT_KEYS: Final = ("gen_ai.agent.name", "agent.name")
"""Agent name."""

TOOL_KEYS: Final = ("gen_ai.tool.name", "tool.name")
"""Tool name."""

SCRUBBED_MARK: Final = "agentstate.scrubbed"
"""Resource attribute (``"true"``) our SDK adds when it scrubbed the spans before export; the writer
then skips its own scrubbing pass for them."""
