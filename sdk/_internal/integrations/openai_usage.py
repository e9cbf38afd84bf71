"""Our one OpenAI hook: cached and reasoning tokens on openai-v2's chat spans.

``opentelemetry-instrumentation-openai-v2`` (2.x) records input and output tokens of chat
completions but not ``prompt_tokens_details.cached_tokens`` nor
``completion_tokens_details.reasoning_tokens``, which the platform needs to price a call right.
Both places where it reads usage (a whole response, and a stream's usage chunk) are module-level
functions or methods looked up at call time, so wrapping them adds the two attributes to the
invocation before the span ends. If a later release renames them, nothing is wrapped and the spans
simply lack the two counts.
"""

from __future__ import annotations

from typing import Any

from agentstate._internal.errors import handle_internal_errors
from agentstate._internal.integrations.catalog import Undo
from agentstate.semconv import attributes as A


def _add_details(invocation: Any, usage: Any) -> None:
    with handle_internal_errors:
        attributes = getattr(invocation, "attributes", None)
        if usage is None or not isinstance(attributes, dict):
            return
        cached = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", None)
        reasoning = getattr(getattr(usage, "completion_tokens_details", None), "reasoning_tokens", None)
        if isinstance(cached, int):
            attributes[A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached
        if isinstance(reasoning, int):
            attributes[A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning


def install() -> Undo | None:
    """Wrap openai-v2's usage readers; returns the undo, or ``None`` if they are not there."""
    from opentelemetry.instrumentation.openai_v2 import patch

    set_properties = getattr(patch, "_set_response_properties", None)
    stream_class = getattr(patch, "ChatStreamWrapper", None)
    set_usage = getattr(stream_class, "set_usage", None)
    if set_properties is None or stream_class is None or set_usage is None:
        return None

    def response_properties(invocation: Any, result: Any, *args: Any, **kwargs: Any) -> Any:
        out = set_properties(invocation, result, *args, **kwargs)
        _add_details(invocation, getattr(result, "usage", None))
        return out

    def stream_usage(self: Any, chunk: Any) -> None:
        set_usage(self, chunk)
        _add_details(getattr(self, "invocation", None), getattr(chunk, "usage", None))

    patch._set_response_properties = response_properties
    stream_class.set_usage = stream_usage

    def undo() -> None:
        patch._set_response_properties = set_properties
        stream_class.set_usage = set_usage

    return undo
