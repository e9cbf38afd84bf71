"""Our one OpenAI hook: what openai-v2's chat spans miss, filled in before the span ends.

``opentelemetry-instrumentation-openai-v2`` (2.4b0) records input and output tokens of chat
completions but not ``prompt_tokens_details.cached_tokens`` nor
``completion_tokens_details.reasoning_tokens``, which the platform needs to price a call right;
and a streamed call's finish reasons are never collected (the stream wrapper's list stays empty).
The places where it reads usage (a whole response, a stream's usage chunk) and ends a stream are
module-level functions or methods looked up at call time, so wrapping them adds the values to the
invocation before its span ends. If a later release renames them, nothing is wrapped.
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
    cleanup = getattr(stream_class, "cleanup", None)
    if set_properties is None or stream_class is None or set_usage is None or cleanup is None:
        return None

    def response_properties(invocation: Any, result: Any, *args: Any, **kwargs: Any) -> Any:
        out = set_properties(invocation, result, *args, **kwargs)
        _add_details(invocation, getattr(result, "usage", None))
        return out

    def stream_usage(self: Any, chunk: Any) -> None:
        set_usage(self, chunk)
        _add_details(getattr(self, "invocation", None), getattr(chunk, "usage", None))

    def stream_cleanup(self: Any, *args: Any, **kwargs: Any) -> Any:
        with handle_internal_errors:
            buffers = getattr(self, "choice_buffers", None) or []
            if not getattr(self, "finish_reasons", None) and buffers:
                self.finish_reasons = [getattr(b, "finish_reason", None) or "error" for b in buffers]
        return cleanup(self, *args, **kwargs)

    patch._set_response_properties = response_properties
    stream_class.set_usage = stream_usage
    stream_class.cleanup = stream_cleanup

    def undo() -> None:
        patch._set_response_properties = set_properties
        stream_class.set_usage = set_usage
        stream_class.cleanup = cleanup

    return undo
